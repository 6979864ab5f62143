/* BCC's libraries, opened with dlopen() only when the bcc backend is
 * probed or chosen: libbcc pulls in LLVM and clang (tens of MB, tens of ms
 * to map), so the libbpf path and hosts without BCC never load them. */
#include "config.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bcc.h"

#define LIBBCC_BPF "libbcc_bpf.so.0"
#define LIBBCC "libbcc.so.0"

struct ot_bcc_loader bcc;
struct ot_bcc_compiler cc;

struct sym {
	const char *name;
	size_t off;
};

static void *open_lib(const char *lib, const struct sym *syms, size_t n, void *table,
		      char *why, size_t len)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!h) {
		snprintf(why, len, "cannot load %s (%s); install libbpfcc (apt-get install "
			 "libbpfcc)", lib, dlerror());
		return NULL;
	}
	for (i = 0; i < n; i++) {
		void *p = dlsym(h, syms[i].name);

		if (!p) {
			snprintf(why, len, "%s lacks %s: this BCC is too old (0.26 or later works)",
				 lib, syms[i].name);
			dlclose(h);
			return NULL;
		}
		memcpy((char *)table + syms[i].off, &p, sizeof(p));
	}
	return h;
}

int ot_bcc_load_loader(char *why, size_t len)
{
	static const struct sym syms[] = {
#define SYM(field, name) { #name, offsetof(struct ot_bcc_loader, field) }
		SYM(create_map, bcc_create_map),
		SYM(prog_load, bcc_prog_load),
		SYM(attach_tracepoint, bpf_attach_tracepoint),
		SYM(attach_raw_tracepoint, bpf_attach_raw_tracepoint),
		SYM(attach_kprobe, bpf_attach_kprobe),
		SYM(detach_kprobe, bpf_detach_kprobe),
		SYM(close_perf_event_fd, bpf_close_perf_event_fd),
		SYM(open_perf_buffer_opts, bpf_open_perf_buffer_opts),
		SYM(reader_poll, perf_reader_poll),
		SYM(reader_consume, perf_reader_consume),
		SYM(reader_free, perf_reader_free),
		SYM(reader_fd, perf_reader_fd),
#undef SYM
	};

	if (!bcc.handle)
		bcc.handle = open_lib(LIBBCC_BPF, syms, sizeof(syms) / sizeof(syms[0]), &bcc,
				      why, len);
	return bcc.handle ? 0 : -1;
}

int ot_bcc_load_compiler(char *why, size_t len)
{
	static const struct sym syms[] = {
#define SYM(field, name) { #name, offsetof(struct ot_bcc_compiler, field) }
		SYM(module_create, bpf_module_create_c_from_string),
		SYM(module_destroy, bpf_module_destroy),
		SYM(module_license, bpf_module_license),
		SYM(module_kern_version, bpf_module_kern_version),
		SYM(num_functions, bpf_num_functions),
		SYM(function_name, bpf_function_name),
		SYM(function_start_id, bpf_function_start_id),
		SYM(function_size_id, bpf_function_size_id),
		SYM(num_tables, bpf_num_tables),
		SYM(table_name, bpf_table_name),
		SYM(table_type_id, bpf_table_type_id),
		SYM(table_key_size_id, bpf_table_key_size_id),
		SYM(table_leaf_size_id, bpf_table_leaf_size_id),
		SYM(table_max_entries_id, bpf_table_max_entries_id),
		SYM(table_flags_id, bpf_table_flags_id),
		SYM(table_fd_id, bpf_table_fd_id),
#undef SYM
	};

	if (ot_bcc_load_loader(why, len))
		return -1;
	if (!cc.handle)
		cc.handle = open_lib(LIBBCC, syms, sizeof(syms) / sizeof(syms[0]), &cc, why, len);
	return cc.handle ? 0 : -1;
}
