/* The kinds of event, by name and class: bpf/kinds.h's table, for user
 * space. */
#include "config.h"

#include <string.h>

#include "event.h"

static const struct {
	const char *name;
	unsigned class;
} kinds[OT_KIND_MAX] = {
#define KIND(kind, name, class) [OT_KIND_##kind] = { #name, OT_EVENTS_##class },
	OT_KINDS(KIND)
#undef KIND
};

const char *ot_kind_name(enum ot_kind kind)
{
	return (unsigned)kind < OT_KIND_MAX ? kinds[kind].name : "unknown";
}

unsigned ot_kind_class(enum ot_kind kind)
{
	return (unsigned)kind < OT_KIND_MAX ? kinds[kind].class : 0;
}

enum ot_kind ot_kind_from_name(const char *name, size_t len)
{
	unsigned k;

	for (k = 0; k < OT_KIND_MAX; k++)
		if (strlen(kinds[k].name) == len && !memcmp(kinds[k].name, name, len))
			return k;
	return OT_KIND_MAX;
}
