// SPDX-License-Identifier: MIT
/*
 * Which BTF the monitors' CO-RE relocations are resolved against. libbpf searches the whole
 * vmlinux BTF (5.5 MB, 100k+ types) for candidates of every relocated type: a third of a fresh
 * load here (~20 ms). The build cuts a minimal BTF with only the types the object names
 * (bpftool gen min_core_btf, as BTFHub does) from the build host's kernel, and records that
 * kernel's /sys/kernel/notes, whose GNU build ID names one vmlinux and so one BTF. On that
 * kernel the relocations use the minimal BTF, from a memfd; on any other (or when the build
 * could not cut it), the whole vmlinux BTF as before. The relocated offsets are the same either
 * way: the minimal BTF is the vmlinux BTF with the unused types left out. The same build ID
 * means the same type ids too: the build records the id of the LSM hook the exec monitor probes
 * for, so that the probe need not read the vmlinux BTF a second time (libbpf reads it for the
 * tp_btf attach targets; 4-20 ms a read here).
 */
#include "common/hooks.h"
#include "common/macro.h"
#include "common/util.h"
#include "monitor/internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* build/monitor_btf.c (tools/embed-btf.sh) */
extern const unsigned char ward_min_btf[], ward_min_btf_notes[];
extern const unsigned long ward_min_btf_len, ward_min_btf_notes_len;
extern const int ward_min_btf_lsm_id;

/* Once a process: a fresh load asks twice (the relocation BTF, the LSM probe). */
bool ward_monitor_min_btf_usable(void)
{
	static int usable = -1;
	unsigned char notes[4096];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (usable >= 0)
		return usable;
	usable = 0;
	if (ward_hooks.bpf_vmlinux_btf || !ward_min_btf_len || !ward_min_btf_notes_len ||
	    ward_min_btf_notes_len > sizeof(notes))
		return false;
	fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, notes, sizeof(notes));
	usable = n == (ssize_t)ward_min_btf_notes_len && memcmp(notes, ward_min_btf_notes, n) == 0;
	return usable;
}

int ward_monitor_min_btf_fd(void)
{
	_cleanup_close_ int fd = -1;

	if (!ward_monitor_min_btf_usable())
		return -ENOENT;
	fd = memfd_create("ward-min-btf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = ward_write_all(fd, (const char *)ward_min_btf, ward_min_btf_len);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

int ward_monitor_min_btf_lsm_id(void)
{
	return ward_monitor_min_btf_usable() ? ward_min_btf_lsm_id : -1;
}
