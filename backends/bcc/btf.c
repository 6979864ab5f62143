/* Offsets from the running kernel's BTF, for the BCC program where the
 * installed headers are another release's (measured here: Debian's 6.1
 * headers on 6.18 read a garbage real_parent). Reading task_struct then
 * needs neither matching headers nor CO-RE: the offsets go into the text
 * as integers. Without libbpf in this build, there are none. */
#include "config.h"

#include <string.h>

#include "offsets.h"

#ifdef HAVE_BACKEND_LIBBPF
#include <bpf/btf.h>

/* The byte offset of field in the struct of type id, looking into the
 * anonymous structs and unions it holds (mm_struct keeps its fields in
 * one); -1 when there is none. */
static long member_offset(const struct btf *btf, __u32 id, const char *field, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;
	unsigned i;

	if (!t || depth > 4 || (!btf_is_struct(t) && !btf_is_union(t)))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		long off = btf_member_bit_offset(t, i) / 8, inner;

		if (name && *name) {
			if (!strcmp(name, field))
				return off;
			continue;
		}
		inner = member_offset(btf, btf__resolve_type(btf, m->type), field, depth + 1);
		if (inner >= 0)
			return off + inner;
	}
	return -1;
}

static long offset_of(const struct btf *btf, const char *type, const char *field)
{
	__s32 id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);

	return id < 0 ? -1 : member_offset(btf, id, field, 0);
}

int ot_bcc_btf_offsets(struct ot_bcc_offsets *o)
{
	struct btf *btf = btf__load_vmlinux_btf();
	long off;
	int rc = 0;

	if (!btf)
		return -1;
#define FIND(s, f) \
	off = offset_of(btf, #s, #f); \
	if (off < 0) \
		rc = -1; \
	o->s##_##f = off;
	OT_BCC_OFFSETS(FIND)
#undef FIND
	btf__free(btf);
	return rc;
}
#else
int ot_bcc_btf_offsets(struct ot_bcc_offsets *o)
{
	memset(o, 0, sizeof(*o));
	return -1;
}
#endif
