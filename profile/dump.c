// SPDX-License-Identifier: MIT
/*
 * `ward check`: the effective (merged) profile printed as YAML that ward_profile_load()
 * reads back to the same values. Every key is written, defaults included, so the output is
 * also the answer to "what does this sandbox actually get".
 */
#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "common/parse.h"
#include "common/syscall.h"
#include "profile/profile.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define WRAP_COLUMN 96

/*
 * A plain scalar is written as is only when it cannot be read as anything else: no YAML
 * indicator characters, and not a word YAML 1.1 tools would take for a boolean, null or
 * number (ward itself reads every scalar as a string, but people and other tools do not).
 */
static bool plain_ok(const char *s)
{
	static const char *const words[] = {"true", "false", "yes", "no",   "on",
					    "off",  "y",     "n",   "null", "~"};
	size_t l = strlen(s);

	if (l == 0)
		return false;
	if (!(isalpha((unsigned char)s[0]) || s[0] == '/' || s[0] == '_'))
		return false;
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./+-*") != l)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return false;
	return true;
}

/*
 * The code point of the UTF-8 sequence at s, its length in *ret_len; a byte that does not
 * start a valid sequence is returned as itself with length 1 (libyaml never gives us one,
 * every scalar it reads is valid UTF-8, but file names in comments may hold anything).
 */
static uint32_t utf8_next(const unsigned char *s, size_t *ret_len)
{
	uint32_t c = s[0];
	size_t n = c < 0x80		? 1
		   : (c & 0xe0) == 0xc0 ? 2
		   : (c & 0xf0) == 0xe0 ? 3
		   : (c & 0xf8) == 0xf0 ? 4
					: 0;
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};

	*ret_len = 1;
	if (n <= 1)
		return c;
	c &= 0x7f >> n;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return s[0];
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return s[0];
	*ret_len = n;
	return c;
}

/*
 * What a double-quoted YAML scalar may hold as is, for libyaml to read it back unchanged: its
 * reader refuses C0 and C1 controls, DEL, surrogates, U+FFFE/U+FFFF ("control characters are
 * not allowed"), and takes NEL, U+2028 and U+2029 for line breaks, which a quoted scalar
 * folds into a space. A BOM is escaped too (a reader may drop it).
 */
static bool yaml_raw_ok(uint32_t c)
{
	if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
		return false;
	return c != 0x2028 && c != 0x2029 && c != 0xfeff && c != 0xfffe && c != 0xffff;
}

/* s with every character YAML cannot carry raw escaped ("\x80", "\u2028"), unquoted. */
static void put_escaped(FILE *f, const char *s, bool in_quotes)
{
	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		size_t n;
		uint32_t cp = utf8_next(c, &n);

		if (in_quotes && (cp == '"' || cp == '\\'))
			fprintf(f, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (n == 1 && cp >= 0x80)
			fprintf(f, "\\x%02x", cp); /* not UTF-8: U+00NN when read back */
		else if (yaml_raw_ok(cp))
			fwrite(c, 1, n, f);
		else if (cp <= 0xff)
			fprintf(f, "\\x%02x", cp);
		else
			fprintf(f, "\\u%04x", cp);
		c += n;
	}
}

static void put_str(FILE *f, const char *s)
{
	if (plain_ok(s)) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	put_escaped(f, s, true);
	fputc('"', f);
}

/* "  key: [a, b, c]" wrapped at WRAP_COLUMN; continuation lines indented under the key. */
static void put_flow_list(FILE *f, int indent, const char *key, const struct ward_strv *v)
{
	int col = fprintf(f, "%*s%s: [", indent, "", key);

	for (size_t i = 0; i < v->n; i++) {
		int w = (int)strlen(v->v[i].s) + (plain_ok(v->v[i].s) ? 0 : 8) + 2;

		if (i > 0) {
			fputc(',', f);
			col++;
			if (col + w > WRAP_COLUMN) {
				col = fprintf(f, "\n%*s", indent + 4, "") - 1;
			} else {
				fputc(' ', f);
				col++;
			}
		}
		put_str(f, v->v[i].s);
		col += w - 2;
	}
	fputs("]\n", f);
}

/* Largest binary suffix that divides the value exactly (the reader is exact too). */
static void put_size(FILE *f, uint64_t v)
{
	static const char suffix[] = "KMGTPE";
	int i = -1;

	while (v && i < 5 && (v & 1023) == 0) {
		v >>= 10;
		i++;
	}
	if (i < 0)
		fprintf(f, "%" PRIu64, v);
	else
		fprintf(f, "%" PRIu64 "%c", v, suffix[i]);
}

static void put_duration(FILE *f, uint64_t ns)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
		{"d", 86400ULL * 1000000000ULL},
		{"h", 3600ULL * 1000000000ULL},
		{"m", 60ULL * 1000000000ULL},
		{"s", 1000000000ULL},
		{"ms", 1000000ULL},
		{"us", 1000ULL},
		{"ns", 1ULL},
	};

	if (ns == 0) {
		fputs("0s", f);
		return;
	}
	/* "1h30m": each unit once, largest first; the reader sums the parts. */
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (ns >= units[i].ns) {
			fprintf(f, "%" PRIu64 "%s", ns / units[i].ns, units[i].name);
			ns %= units[i].ns;
		}
	}
}

/*
 * The shortest decimal that reads back to the same double, in fixed notation: the loader
 * takes digits and a point only (no "1e-05"). The significant digits come from the shortest
 * %.*e form that round-trips; the point is then placed by hand.
 */
static void put_double(FILE *f, double d)
{
	char e[48], digits[24], out[400];
	size_t nd = 0, o = 0;
	int exp, point;
	char *x;

	for (int prec = 0; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, d);
		if (strtod(e, NULL) == d)
			break;
	}
	x = strchr(e, 'e');
	if (!x || d < 0 || !isfinite(d)) {
		fputs("0", f); /* the loader refuses these: never stored */
		return;
	}
	exp = atoi(x + 1);
	for (char *c = e; c < x; c++)
		if (isdigit((unsigned char)*c))
			digits[nd++] = *c;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	point = exp + 1; /* digits before the point */
	if (point <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -point; i++)
			out[o++] = '0';
		memcpy(out + o, digits, nd);
		o += nd;
	} else {
		for (int i = 0; i < point; i++)
			out[o++] = (size_t)i < nd ? digits[i] : '0';
		if ((size_t)point < nd) {
			out[o++] = '.';
			memcpy(out + o, digits + point, nd - (size_t)point);
			o += nd - (size_t)point;
		}
	}
	out[o] = '\0';
	fputs(out, f);
}

static const char *const op_names[] = {"connect", "bind", "send"};

int ward_profile_dump(const struct ward_profile *p, FILE *f)
{
	static const char *const ns_names[] = {"user", "pid", "mount", "net",
					       "ipc",  "uts", "cgroup"};
	static const char *const sc_names[] = {"deny", "allow", "kill"};
	static const char *const net_names[] = {"none", "loopback", "host"};
	bool first;

	fputs("# ward: effective profile", f);
	if (p->name) {
		fputs(" ", f);
		put_str(f, p->name);
	}
	fputs(", read from (top file first; includes are applied before the file that "
	      "names them):\n",
	      f);
	for (size_t i = 0; i < p->n_files; i++) {
		/* a newline in a file name would end the comment */
		fputs("#   ", f);
		put_escaped(f, p->files[i], false);
		fputs("\n", f);
	}
	fputs("name: ", f);
	put_str(f, p->name ? p->name : "");
	fputs("\n", f);
	if (p->description) {
		fputs("description: ", f);
		put_str(f, p->description);
		fputs("\n", f);
	}
	fprintf(f, "mode: %s\n", p->mode == WARD_MODE_AUDIT ? "audit" : "enforce");

	fputs("namespaces: [", f);
	first = true;
	for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++)
		if (p->namespaces & (1U << i)) {
			fprintf(f, "%s%s", first ? "" : ", ", ns_names[i]);
			first = false;
		}
	fputs("]\n", f);
	fprintf(f, "nested_namespaces: %s\n", p->nested_ns ? "true" : "false");
	fprintf(f, "user: {uid: %u, gid: %u}\n", (unsigned)p->uid, (unsigned)p->gid);
	fputs("hostname: ", f);
	if (p->hostname)
		put_str(f, p->hostname);
	else
		fputs("null # the sandbox id", f);
	fputs("\n", f);

	fputs("filesystem:\n", f);
	put_flow_list(f, 2, "readonly", &p->fs_readonly);
	put_flow_list(f, 2, "readwrite", &p->fs_readwrite);
	fputs("  tmpfs: [", f);
	for (size_t i = 0; i < p->fs_tmpfs.n; i++) {
		fputs(i ? ",\n          {path: " : "{path: ", f);
		put_str(f, p->fs_tmpfs.v[i].s);
		fputs(", size: ", f);
		put_size(f, p->fs_tmpfs.v[i].size);
		fputs("}", f);
	}
	fputs("]\n", f);
	put_flow_list(f, 2, "devices", &p->fs_devices);
	put_flow_list(f, 2, "deny", &p->fs_deny);
	/* --bind's entries too: they are what the sandbox gets, and the format holds them */
	fputs(p->n_binds ? "  binds:\n" : "  binds: []\n", f);
	for (size_t i = 0; i < p->n_binds; i++) {
		fputs("    - {src: ", f);
		put_str(f, p->binds[i].src);
		fputs(", dst: ", f);
		put_str(f, p->binds[i].dst);
		fprintf(f, ", mode: %s}\n", p->binds[i].rw ? "rw" : "ro");
	}

	fputs("network:\n", f);
	fprintf(f, "  mode: %s\n", net_names[p->net_mode]);
	if (p->n_net_allow == 0)
		fputs("  allow: []\n", f);
	else
		fputs("  allow:\n", f);
	for (size_t i = 0; i < p->n_net_allow; i++) {
		fprintf(f, "    - {%s: ", op_names[p->net_allow[i].op]);
		put_str(f, p->net_allow[i].text);
		fputs("}\n", f);
	}

	fputs("gpu: {allow: ", f);
	if (p->gpu_all) {
		fputs("all", f);
	} else if (p->n_gpus == 0) {
		fputs("none", f);
	} else {
		fputs("[", f);
		for (size_t i = 0; i < p->n_gpus; i++)
			fprintf(f, "%s%d", i ? ", " : "", p->gpus[i]);
		fputs("]", f);
	}
	fputs("}\n", f);

	fputs("exec:\n", f);
	put_flow_list(f, 2, "allow", &p->exec_allow);

	fputs("syscalls:\n", f);
	fprintf(f, "  default: %s\n", sc_names[p->sc_default]);
	put_flow_list(f, 2, "allow", &p->sc_allow);
	put_flow_list(f, 2, "deny", &p->sc_deny);
	put_flow_list(f, 2, "kill", &p->sc_kill);
	fputs("  import: ", f);
	if (p->sc_import.s)
		put_str(f, p->sc_import.s);
	else
		fputs("null", f);
	fputs("\n", f);

	put_flow_list(f, 0, "capabilities", &p->capabilities);

	fputs("limits:\n  memory: ", f);
	put_size(f, p->mem_max);
	fprintf(f, "%s\n  pids: %" PRIu64 "%s\n  cpu: ", p->mem_max ? "" : " # unlimited",
		p->pids_max, p->pids_max ? "" : " # unlimited");
	put_double(f, p->cpu_max);
	fprintf(f, "%s\n  nofile: %" PRIu64 "%s\n  wall: ", p->cpu_max > 0 ? "" : " # unlimited",
		p->nofile, p->nofile ? "" : " # inherited");
	put_duration(f, p->wall_ns);
	fputs(p->wall_ns ? "\n  grace: " : " # none\n  grace: ", f);
	put_duration(f, p->grace_ns);
	fputs("\n", f);

	fputs("events:\n  sink: ", f);
	put_str(f, p->sink ? p->sink : "stderr");
	fprintf(f, "\n  allowed: %s\n  require_collector: %s\n",
		p->events_allowed ? "true" : "false", p->require_collector ? "true" : "false");

	fputs("env:\n", f);
	put_flow_list(f, 2, "pass", &p->env_pass);
	if (p->env_set.n == 0)
		fputs("  set: {}\n", f);
	else
		fputs("  set:\n", f);
	for (size_t i = 0; i < p->env_set.n; i++) {
		const char *eq = strchr(p->env_set.v[i].s, '=');

		if (!eq)
			continue;
		fprintf(f, "    %.*s: ", (int)(eq - p->env_set.v[i].s), p->env_set.v[i].s);
		put_str(f, eq + 1);
		fputs("\n", f);
	}

	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}
