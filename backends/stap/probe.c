/* Whether the stap backend can run here, and if not, every reason that
 * applies, each saying what to do: stap itself, root, a kernel that loads
 * modules (switched on, not locked down, no signatures demanded) and
 * headers of the running release. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"

/* The program from the environment variable var, else from PATH. */
bool ot_stap_find_prog(const char *var, const char *name, char *path, size_t len)
{
	const char *env = getenv(var), *dirs;

	if (env && *env) {
		snprintf(path, len, "%s", env);
		return access(path, X_OK) == 0;
	}
	dirs = getenv("PATH");
	if (!dirs || !*dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	while (*dirs) {
		size_t n = strcspn(dirs, ":");

		snprintf(path, len, "%.*s/%s", (int)n, dirs, name);
		if (n && !access(path, X_OK))
			return true;
		dirs += n + !!dirs[n];
	}
	snprintf(path, len, "%s", name);
	return false;
}

static bool read_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* The release of the headers in a kernel build directory. */
static bool headers_release(const char *build, char rel[256])
{
	char path[PATH_MAX + 64], line[256];
	FILE *f;
	bool found = false;

	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h", build);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "#define UTS_RELEASE \"%255[^\"]\"", rel) == 1;
	fclose(f);
	return found;
}

struct why {
	char *buf;
	size_t len, used;
};

static void why_add(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void why_add(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->used >= w->len)
		return;
	if (w->used)
		w->used += snprintf(w->buf + w->used, w->len - w->used, "; ");
	if (w->used >= w->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->used, w->len - w->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->used += n;
}

/* What keeps this kernel from loading the modules that stap and staprun
 * build and run; each reason says what to do. */
static void probe_kernel(struct why *w, const char *rel)
{
	char line[256];
	bool modules = !access("/proc/modules", F_OK);

	if (!modules)
		why_add(w, "kernel %s cannot load modules (no CONFIG_MODULES: no /proc/modules) "
			"and everything SystemTap runs is a module: build one for another host "
			"(--build-module FILE.ko -r RELEASE) or use -B libbpf", rel);
	else if (read_first_line("/proc/sys/kernel/modules_disabled", line, sizeof(line)) &&
		 !strcmp(line, "1"))
		why_add(w, "module loading is switched off until reboot (kernel.modules_disabled=1)");
	/* Lockdown shows only where securityfs is mounted; and where it is,
	 * stap 4.8 insists on signing its module with a machine owner key
	 * (MOK) and stops without one. */
	if (read_first_line("/sys/kernel/security/lockdown", line, sizeof(line))) {
		const char *mode = strchr(line, '[');

		if (!strstr(line, "[none]"))
			why_add(w, "the kernel is in lockdown (%.*s) and refuses unsigned modules: "
				"enrol a machine owner key for stap (stap --sign-module, mokutil) or "
				"boot without lockdown", mode ? (int)strcspn(mode + 1, "]") : 0,
				mode ? mode + 1 : "");
		else if (modules)
			why_add(w, "securityfs is mounted on /sys/kernel/security, so stap wants to "
				"sign its module with a machine owner key (MOK) and stops when there "
				"is none; on a kernel that does not enforce signatures, unmount it "
				"(umount /sys/kernel/security)");
	} else if (modules && read_first_line("/sys/module/module/parameters/sig_enforce", line,
					      sizeof(line)) && !strcmp(line, "Y")) {
		why_add(w, "the kernel loads only signed modules (module.sig_enforce=1): sign "
			"stap's modules (stap --sign-module) or boot without sig_enforce");
	}
}

int ot_stap_probe(char *why, size_t len)
{
	struct why w = { why, len, 0 };
	char path[PATH_MAX], build[sizeof(((struct utsname *)0)->release) + 32], rel[256];
	struct utsname u;

	*why = '\0';
	uname(&u);
	if (!ot_stap_find_prog("STAP_PATH", "stap", path, sizeof(path)))
		why_add(&w, "no stap binary (%s; set STAP_PATH or install systemtap, "
			"apt install systemtap)", getenv("STAP_PATH") && *getenv("STAP_PATH") ?
			"STAP_PATH is not executable" : "none on PATH");
	if (geteuid())
		why_add(&w, "needs root (or membership of the stapusr and stapdev groups) to load "
			"its module");
	probe_kernel(&w, u.release);
	snprintf(build, sizeof(build), "/lib/modules/%s/build", u.release);
	if (access(build, F_OK))
		why_add(&w, "no kernel headers for %s (looked in %s): install "
			"linux-headers-%s", u.release, build, u.release);
	else if (headers_release(build, rel) && strcmp(rel, u.release))
		why_add(&w, "%s holds the headers of %s, not of the running %s: a module built "
			"against them would not load; install linux-headers-%s", build, rel,
			u.release, u.release);
	return w.used ? -1 : 0;
}

