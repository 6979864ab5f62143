#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "proc.h"
#include "sink.h"

/* The state letter of /proc/PATH/stat, which follows the last ')' (a comm
 * may hold one), or 0 when it cannot be read. */
static char stat_state(const char *path, unsigned *ppid)
{
	char buf[512], *p;
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return 0;
	if (ppid && sscanf(p + 3, "%u", ppid) != 1)
		*ppid = 0;
	return p[2];
}

static bool live_state(char state)
{
	return state && state != 'Z' && state != 'X';
}

bool ot_process_alive(pid_t pid)
{
	char path[64];
	struct dirent *d;
	bool alive = false;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (live_state(stat_state(path, NULL)))
		return true;
	/* a leader that ended with pthread_exit() is a zombie while its
	 * other threads run on: the process lives while any thread does */
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!alive && (d = readdir(dir))) {
		char tpath[320];

		if (d->d_name[0] == '.')
			continue;
		snprintf(tpath, sizeof(tpath), "/proc/%d/task/%s/stat", (int)pid, d->d_name);
		alive = live_state(stat_state(tpath, NULL));
	}
	closedir(dir);
	return alive;
}

/* ppid lookups are cached briefly: records of one process come in runs */
#define PPID_SLOTS 1024
#define PPID_TTL_NS (200 * 1000 * 1000)

uint32_t ot_process_ppid(uint32_t pid)
{
	static struct {
		uint32_t pid, ppid;
		uint64_t at;
	} cache[PPID_SLOTS];
	unsigned slot = pid % PPID_SLOTS, ppid = 0;
	uint64_t now = ot_now_ns();
	char path[64];

	if (cache[slot].pid == pid && now - cache[slot].at < PPID_TTL_NS)
		return cache[slot].ppid;
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	stat_state(path, &ppid);
	cache[slot].pid = pid;
	cache[slot].ppid = ppid;
	cache[slot].at = now;
	return ppid;
}

/* The thread group of tid, from /proc/TID/status, or 0. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	long tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %ld", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

int ot_pids_resolve(pid_t *pids, size_t *npids)
{
	size_t i, j, n = 0;

	for (i = 0; i < *npids; i++) {
		pid_t pid = pids[i], tgid = tgid_of(pid);

		if (!tgid || !ot_process_alive(tgid)) {
			ot_error_msg("-p %d: no such process%s", (int)pid,
				     *npids > 1 ? " (left out)" : "");
			continue;
		}
		if (tgid != pid)
			ot_error_msg("-p %d is a thread of process %d: tracing the process "
				     "(-t %d traces the thread alone)", (int)pid, (int)tgid, (int)pid);
		for (j = 0; j < n && pids[j] != tgid; j++)
			;
		if (j == n)
			pids[n++] = tgid;
	}
	*npids = n;
	return n ? 0 : -1;
}
