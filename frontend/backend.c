#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "backend.h"
#include "caps.h"
#include "escape.h"
#include "msg.h"

#ifdef HAVE_BACKEND_LIBBPF
extern const struct ot_backend ot_backend_libbpf;
#endif
#ifdef HAVE_BACKEND_BCC
extern const struct ot_backend ot_backend_bcc;
#endif
#ifdef HAVE_BACKEND_STAP
extern const struct ot_backend ot_backend_stap;
#endif

/* In order of preference when no -B is given. A backend that this build
 * lacks keeps its place, with the reason. */
static const struct {
	const char *name;
	const struct ot_backend *ops;
	const char *absent;
} registry[] = {
#ifdef HAVE_BACKEND_LIBBPF
	{ "libbpf", &ot_backend_libbpf, NULL },
#else
	{ "libbpf", NULL, "not built: configure found no libbpf, libelf, clang or bpftool "
			  "(run ./setup, then ./configure)" },
#endif
#ifdef HAVE_BACKEND_BCC
	{ "bcc", &ot_backend_bcc, NULL },
#else
	{ "bcc", NULL, "not built: configure found no libbcc (install libbpfcc-dev, then "
		       "./configure)" },
#endif
#ifdef HAVE_BACKEND_STAP
	{ "stap", &ot_backend_stap, NULL },
#else
	{ "stap", NULL, "not built: configured with --disable-stap" },
#endif
};
#define N_BACKENDS (sizeof(registry) / sizeof(registry[0]))

bool ot_backend_known(const char *name)
{
	size_t i;

	for (i = 0; i < N_BACKENDS; i++)
		if (!strcmp(registry[i].name, name))
			return true;
	return false;
}

static int probe(size_t i, char *why, size_t len)
{
	if (!registry[i].ops) {
		snprintf(why, len, "%s", registry[i].absent);
		return -1;
	}
	return registry[i].ops->probe(why, len);
}

const struct ot_backend *ot_backend_choose(const char *name)
{
	char why[1024], first[1024] = "";
	const char *first_name = NULL;
	size_t i;

	/* Every backend loads kernel programs: say once, in one line, which
	 * capability is missing, rather than once per backend. */
	if (ot_caps_check(why, sizeof(why))) {
		ot_error_msg("%s", why);
		return NULL;
	}
	for (i = 0; i < N_BACKENDS; i++) {
		if (name && strcmp(registry[i].name, name))
			continue;
		if (!probe(i, why, sizeof(why))) {
			/* Falling back changes what is traced (io_uring, -F):
			 * say so, and why the preferred backend cannot run. */
			if (first_name)
				ot_error_msg("using %s: %s cannot run here: %s", registry[i].name,
					     first_name, first);
			return registry[i].ops;
		}
		if (name) {
			ot_error_msg("backend %s cannot run here: %s", name, why);
			return NULL;
		}
		if (!first_name && registry[i].ops) {
			first_name = registry[i].name;
			snprintf(first, sizeof(first), "%s", why);
		}
	}
	/* The preferred backend's reason is usually the one to act on. */
	if (first_name)
		ot_error_msg("no backend can run here; %s: %s ('opentrace --list-backends' "
			     "says why for each)", first_name, first);
	else
		ot_error_msg("no backend can run here; 'opentrace --list-backends' says why");
	return NULL;
}

static void json_str(FILE *out, const char *s)
{
	ot_json_string(out, s, strlen(s));
}

/* One JSON object for a program deciding per host (fleet/): the facts a
 * backend choice rests on, each backend with its reason, and the one a
 * run without -B would take. */
static int list_json(FILE *out)
{
	char why[1024];
	const char *chosen = NULL;
	struct utsname u;
	size_t i;

	uname(&u);
	fputs("{\"version\":", out);
	json_str(out, PACKAGE_VERSION);
	fputs(",\"kernel_release\":", out);
	json_str(out, u.release);
	fprintf(out, ",\"btf\":%s,\"backends\":[",
		access("/sys/kernel/btf/vmlinux", R_OK) ? "false" : "true");
	for (i = 0; i < N_BACKENDS; i++) {
		bool usable = !probe(i, why, sizeof(why));

		fprintf(out, "%s{\"name\":", i ? "," : "");
		json_str(out, registry[i].name);
		fprintf(out, ",\"usable\":%s,\"reason\":", usable ? "true" : "false");
		if (usable)
			fputs("null", out);
		else
			json_str(out, why);
		fputc('}', out);
		if (usable && !chosen)
			chosen = registry[i].name;
	}
	fputs("],\"default\":", out);
	if (chosen)
		json_str(out, chosen);
	else
		fputs("null", out);
	fputs("}\n", out);
	return 0;
}

int ot_backend_list(FILE *out, enum ot_format format)
{
	char why[1024];
	size_t i;
	int rc = 0;

	if (format == OT_FORMAT_JSON || format == OT_FORMAT_JSONL) {
		rc = list_json(out);
	} else {
		for (i = 0; i < N_BACKENDS; i++) {
			if (!probe(i, why, sizeof(why)))
				fprintf(out, "%-7s usable\n", registry[i].name);
			else
				fprintf(out, "%-7s unusable: %s\n", registry[i].name, why);
		}
	}
	if (fflush(out) || ferror(out)) {
		ot_perror_msg("writing to standard output");
		rc = 1;
	}
	return rc;
}

/* A backend may only need what emit prints: emit does not require probe. */
const struct ot_backend *ot_backend_for_emit(const char *name)
{
	size_t i;

	for (i = 0; i < N_BACKENDS; i++)
		if ((!name || !strcmp(registry[i].name, name)) && registry[i].ops)
			return registry[i].ops;
	ot_error_msg("backend %s: %s", name, name ? "not part of this build" : "none built");
	return NULL;
}
