/* opentrace, bcc backend: the C text libbcc compiles. */

/* The run's filter (struct ot_filter): integers only; the -n comm is in the ot_conf map. */
#define OT_CFG_events 1ULL
#define OT_CFG_filter_pids 1ULL
#define OT_CFG_follow 0ULL
#define OT_CFG_tid 0ULL
#define OT_CFG_filter_uid 0ULL
#define OT_CFG_uid 0ULL
#define OT_CFG_filter_cgroup 0ULL
#define OT_CFG_nclauses 0ULL
#define OT_CFG_failed_only 0ULL
#define OT_CFG_full_path 0ULL
#define OT_CFG_max_args 20ULL
#define OT_CFG_comm_len 0ULL
#define OT_CFG_min_latency_ns 0ULL
#define OT_FLAGS_MATCH(f) (1)

