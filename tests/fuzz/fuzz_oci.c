// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the OCI/Docker seccomp importer (syscalls.import) from a buffer. Beyond not
 * crashing: every rule it keeps is a native syscall with at most 6 conditions on arguments
 * 0..5 and a translated action, and its counters add up.
 */
#include "profile/oci.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_oci_profile *o = NULL;
	struct ward_error err = {{0}};
	static const struct ward_str caps[] = {{.s = "CAP_SYS_ADMIN"}, {.s = "CAP_NET_RAW"}};
	const struct ward_strv cv = {.v = (struct ward_str *)caps, .n = 2};

	if (ward_oci_load_buffer("fuzz.json", (const char *)data, size, size & 1 ? &cv : NULL, &o,
				 &err) < 0) {
		if (!err.msg[0]) {
			fprintf(stderr, "refused without a message\n");
			abort();
		}
		return 0;
	}
	for (size_t i = 0; i < o->n_rules; i++) {
		const struct ward_oci_rule *r = &o->rules[i];

		if (r->nr < 0 || r->n_conds > WARD_OCI_MAX_ARGS ||
		    (r->action != WARD_SC_ALLOW && r->action != WARD_SC_DENY))
			abort();
		for (size_t c = 0; c < r->n_conds; c++)
			if (r->conds[c].arg > 5)
				abort();
	}
	ward_oci_free(o);
	return 0;
}
