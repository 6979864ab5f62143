/* bcc-compile FILE...: compiles each file of C text (opentrace -B bcc
 * --emit) with libbcc and has the kernel verify every function in it,
 * without attaching anything: so that text for probes this kernel cannot
 * attach (kprobes here) is still proven to compile and load. Prints one
 * line per file; exits 1 if any fails. Links libbcc directly: it is a
 * test, not the tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *p = realloc(buf, len + n + 1);

		if (!p) {
			free(buf);
			fclose(f);
			return NULL;
		}
		buf = p;
		memcpy(buf + len, chunk, n);
		len += n;
		buf[len] = '\0';
	}
	fclose(f);
	return buf;
}

/* The program type follows the function's name, as backends/bcc.c
 * attaches it. */
static int prog_type(const char *name)
{
	if (!strncmp(name, "tracepoint__", 12))
		return BPF_PROG_TYPE_TRACEPOINT;
	if (!strncmp(name, "raw_tracepoint__", 16))
		return BPF_PROG_TYPE_RAW_TRACEPOINT;
	if (!strncmp(name, "ot_kprobe", 9) || !strncmp(name, "ot_kretprobe", 12))
		return BPF_PROG_TYPE_KPROBE;
	return -1;
}

static int check(const char *path)
{
	static char log[1 << 20];
	char *text = slurp(path);
	void *mod;
	size_t i, n;
	int failed = 0;

	if (!text) {
		printf("%s: cannot read\n", path);
		return -1;
	}
	mod = bpf_module_create_c_from_string(text, 0, NULL, 0, true, NULL);
	free(text);
	if (!mod) {
		printf("%s: does not compile\n", path);
		return -1;
	}
	n = bpf_num_functions(mod);
	for (i = 0; i < n; i++) {
		const char *name = bpf_function_name(mod, i);
		int type = prog_type(name), fd;

		if (type < 0) {
			printf("%s: unexpected function %s\n", path, name);
			failed = 1;
			continue;
		}
		log[0] = '\0';
		fd = bcc_func_load(mod, type, name, bpf_function_start_id(mod, i),
				   bpf_function_size_id(mod, i), bpf_module_license(mod),
				   bpf_module_kern_version(mod), 0, log, sizeof(log), NULL, -1);
		if (fd < 0) {
			printf("%s: %s refused:\n%s\n", path, name, log);
			failed = 1;
			continue;
		}
		close(fd);
	}
	bpf_module_destroy(mod);
	if (!failed)
		printf("%s: %zu functions load\n", path, n);
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	int i, rc = 0;

	for (i = 1; i < argc; i++)
		if (check(argv[i]))
			rc = 1;
	return rc;
}
