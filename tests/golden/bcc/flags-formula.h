/* opentrace, bcc backend: the C text libbcc compiles. */

/* The plan: integers only; the -n comm is in the ot_conf map. */
#define OT_FILTER_PIDS 0
#define OT_FOLLOW 0
#define OT_TID 0
#define OT_FILTER_UID 0
#define OT_UID 0U
#define OT_FILTER_CGROUP 0
#define OT_FILTER_COMM 0
#define OT_FILTER_FLAGS 1
#define OT_FLAGS_MATCH(f) (((f) & 0x203ULL) == 0x1ULL || \
	((f) & 0x203ULL) == 0x2ULL)
#define OT_FAILED_ONLY 0
#define OT_MIN_LATENCY_NS 0ULL
#define OT_EVENTS_OPEN 1
#define OT_EVENTS_EXEC 0
#define OT_MAX_ARGS 20

