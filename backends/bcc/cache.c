/* Compiled programs, kept: compiling takes 0.4-0.6 s here (clang parsing
 * kernel headers), and the text depends only on the plan and the host. The
 * image (maps' descriptions and instructions), keyed by the whole text,
 * the kernel, the headers and the CPU count and compared in full, is
 * loaded through libbcc_bpf without the compiler. Root loads what it
 * reads here, so a cache that anyone else could have written is ignored. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bcc.h"
#include "msg.h"

#define IMAGE_MAGIC "OTBCC1\n"
/* Cached programs kept, the last used. */
#define CACHE_MAX 64
#define IMAGE_MAX (64u << 20)

void ot_bcc_image_free(struct ot_bcc_image *im)
{
	__u32 i;

	for (i = 0; i < im->nmaps; i++)
		if (im->maps[i].fd >= 0)
			close(im->maps[i].fd);
	for (i = 0; i < im->nprogs; i++)
		free(im->progs[i].insns);
	free(im->maps);
	free(im->progs);
	memset(im, 0, sizeof(*im));
}

static int image_from_module(struct ot_bcc_image *im, void *mod)
{
	size_t i;

	memset(im, 0, sizeof(*im));
	snprintf(im->license, sizeof(im->license), "%s", cc.module_license(mod));
	im->kern_version = cc.module_kern_version(mod);
	im->nmaps = cc.num_tables(mod);
	im->nprogs = cc.num_functions(mod);
	im->maps = ot_xcalloc(im->nmaps + 1, sizeof(*im->maps));
	im->progs = ot_xcalloc(im->nprogs + 1, sizeof(*im->progs));
	for (i = 0; i < im->nmaps; i++) {
		struct ot_bcc_image_map *m = &im->maps[i];

		snprintf(m->name, sizeof(m->name), "%s", cc.table_name(mod, i));
		m->type = cc.table_type_id(mod, i);
		m->key_size = cc.table_key_size_id(mod, i);
		m->leaf_size = cc.table_leaf_size_id(mod, i);
		m->max_entries = cc.table_max_entries_id(mod, i);
		m->flags = cc.table_flags_id(mod, i);
		m->old_fd = cc.table_fd_id(mod, i);
		m->fd = -1;
	}
	for (i = 0; i < im->nprogs; i++) {
		struct ot_bcc_image_prog *p = &im->progs[i];

		snprintf(p->name, sizeof(p->name), "%s", cc.function_name(mod, i));
		p->len = cc.function_size_id(mod, i);
		p->insns = ot_xmalloc(p->len);
		memcpy(p->insns, cc.function_start_id(mod, i), p->len);
	}
	return 0;
}

static void put_u32(FILE *f, __u32 v)
{
	fwrite(&v, sizeof(v), 1, f);
}

static void put_str(FILE *f, const char *s)
{
	put_u32(f, strlen(s));
	fputs(s, f);
}

static void image_write(FILE *f, const struct ot_bcc_image *im, const char *key, size_t key_len)
{
	__u32 i;

	fputs(IMAGE_MAGIC, f);
	put_u32(f, key_len);
	fwrite(key, 1, key_len, f);
	put_str(f, im->license);
	put_u32(f, im->kern_version);
	put_u32(f, im->nmaps);
	for (i = 0; i < im->nmaps; i++) {
		const struct ot_bcc_image_map *m = &im->maps[i];

		put_str(f, m->name);
		put_u32(f, m->type);
		put_u32(f, m->key_size);
		put_u32(f, m->leaf_size);
		put_u32(f, m->max_entries);
		put_u32(f, m->flags);
		put_u32(f, m->old_fd);
	}
	put_u32(f, im->nprogs);
	for (i = 0; i < im->nprogs; i++) {
		put_str(f, im->progs[i].name);
		put_u32(f, im->progs[i].len);
		fwrite(im->progs[i].insns, 1, im->progs[i].len, f);
	}
}

struct cursor {
	const char *p, *end;
	bool bad;
};

static const char *get_bytes(struct cursor *c, size_t n)
{
	const char *p = c->p;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return NULL;
	}
	c->p += n;
	return p;
}

static __u32 get_u32(struct cursor *c)
{
	const char *p = get_bytes(c, sizeof(__u32));
	__u32 v = 0;

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

static void get_str(struct cursor *c, char *buf, size_t size)
{
	__u32 n = get_u32(c);
	const char *p = n < size ? get_bytes(c, n) : NULL;

	if (!p) {
		c->bad = true;
		buf[0] = '\0';
		return;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
}

/* Parses a cache file; 0 only if it is whole and was made for key. */
static int image_read(struct ot_bcc_image *im, const char *buf, size_t len, const char *key,
		      size_t key_len)
{
	struct cursor c = { buf, buf + len, false };
	const char *k;
	__u32 i, n;

	memset(im, 0, sizeof(*im));
	k = get_bytes(&c, strlen(IMAGE_MAGIC));
	if (!k || memcmp(k, IMAGE_MAGIC, strlen(IMAGE_MAGIC)))
		return -1;
	n = get_u32(&c);
	k = get_bytes(&c, n);
	if (!k || n != key_len || memcmp(k, key, key_len))
		return -1;
	get_str(&c, im->license, sizeof(im->license));
	im->kern_version = get_u32(&c);
	n = get_u32(&c);
	if (c.bad || n > 64)
		return -1;
	im->maps = ot_xcalloc(n + 1, sizeof(*im->maps));
	for (i = 0; i < n && !c.bad; i++, im->nmaps++) {
		struct ot_bcc_image_map *m = &im->maps[i];

		m->fd = -1;
		get_str(&c, m->name, sizeof(m->name));
		m->type = get_u32(&c);
		m->key_size = get_u32(&c);
		m->leaf_size = get_u32(&c);
		m->max_entries = get_u32(&c);
		m->flags = get_u32(&c);
		m->old_fd = get_u32(&c);
	}
	n = get_u32(&c);
	if (c.bad || n > 64) {
		ot_bcc_image_free(im);
		return -1;
	}
	im->progs = ot_xcalloc(n + 1, sizeof(*im->progs));
	for (i = 0; i < n && !c.bad; i++) {
		struct ot_bcc_image_prog *p = &im->progs[i];
		const char *insns;

		get_str(&c, p->name, sizeof(p->name));
		p->len = get_u32(&c);
		insns = get_bytes(&c, p->len);
		if (!insns || p->len % sizeof(struct bpf_insn))
			break;
		p->insns = ot_xmalloc(p->len);
		memcpy(p->insns, insns, p->len);
		im->nprogs++;
	}
	if (c.bad || im->nprogs != n || c.p != c.end) {
		ot_bcc_image_free(im);
		return -1;
	}
	return 0;
}

int ot_bcc_image_create_maps(struct ot_bcc_image *im)
{
	__u32 i, j, k;

	for (i = 0; i < im->nmaps; i++) {
		struct ot_bcc_image_map *m = &im->maps[i];

		m->fd = bcc.create_map(m->type, m->name, m->key_size, m->leaf_size,
				       m->max_entries, m->flags);
		if (m->fd < 0) {
			ot_perror_msg("bcc: creating the map %s", m->name);
			return -1;
		}
	}
	for (i = 0; i < im->nprogs; i++) {
		struct bpf_insn *insn = im->progs[i].insns;
		size_t n = im->progs[i].len / sizeof(*insn);

		for (j = 0; j + 1 < n; j++) {
			if (insn[j].code != (BPF_LD | BPF_IMM | BPF_DW))
				continue;
			if (insn[j].src_reg == BPF_PSEUDO_MAP_FD) {
				for (k = 0; k < im->nmaps; k++)
					if (im->maps[k].old_fd == insn[j].imm)
						break;
				if (k == im->nmaps) {
					ot_error_msg("bcc: %s refers to an unknown map", im->progs[i].name);
					return -1;
				}
				insn[j].imm = im->maps[k].fd;
			} else if (insn[j].src_reg) {
				ot_error_msg("bcc: %s has a 64-bit load of a kind this loader does "
					     "not know (%d)", im->progs[i].name, insn[j].src_reg);
				return -1;
			}
			j++;	/* the second half of the 16-byte load */
		}
	}
	return 0;
}

int ot_bcc_image_map_fd(const struct ot_bcc_image *im, const char *name)
{
	__u32 i;

	for (i = 0; i < im->nmaps; i++)
		if (!strcmp(im->maps[i].name, name))
			return im->maps[i].fd;
	return -1;
}

/* The cache of compiled programs: OPENTRACE_BCC_CACHE, else
 * /var/cache/opentrace; OPENTRACE_BCC_CACHE= (empty) turns it off. Root
 * loads what it reads there into the kernel, so a directory or file that
 * anyone else could have written is ignored. */
static const char *cache_dir(void)
{
	const char *env = getenv("OPENTRACE_BCC_CACHE");

	if (env)
		return *env ? env : NULL;
	return "/var/cache/opentrace";
}

static bool owned_and_private(int fd, bool dir)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_uid == geteuid() && !(st.st_mode & 022) &&
	       (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

/* FNV-1a: a file name for the key, which the file holds whole and which
 * is compared in full, so a collision costs a compile, never a wrong
 * program. */
static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static int cache_open_dir(bool create)
{
	const char *dir = cache_dir();
	int fd;

	if (!dir)
		return -1;
	if (create)
		mkdir(dir, 0700);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && !owned_and_private(fd, true)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cache_load(struct ot_bcc_image *im, const char *key, size_t key_len)
{
	char name[32], *buf = NULL;
	int dfd = cache_open_dir(false), fd = -1, rc = -1;
	struct stat st;

	if (dfd < 0)
		return -1;
	snprintf(name, sizeof(name), "%016" PRIx64 ".bpf", fnv1a(key, key_len));
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !owned_and_private(fd, false) || fstat(fd, &st) ||
	    st.st_size > IMAGE_MAX)
		goto out;
	buf = malloc(st.st_size + 1);
	if (!buf || read(fd, buf, st.st_size) != st.st_size)
		goto out;
	rc = image_read(im, buf, st.st_size, key, key_len);
	/* the time of last use, which pruning goes by */
	if (!rc)
		futimens(fd, NULL);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

struct cache_entry {
	char name[32];
	struct timespec used;
};

static int by_use(const void *a, const void *b)
{
	const struct cache_entry *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	return (x->used.tv_nsec > y->used.tv_nsec) - (x->used.tv_nsec < y->used.tv_nsec);
}

/* One file per plan and host: keep the CACHE_MAX used last. */
static void cache_prune(int dfd)
{
	struct cache_entry *e = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *d;
	DIR *dir;
	int fd = dup(dfd);

	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((d = readdir(dir))) {
		size_t len = strlen(d->d_name);
		struct stat st;

		if (len < 5 || len >= sizeof(e->name) || strcmp(d->d_name + len - 4, ".bpf") ||
		    fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (n == cap) {
			struct cache_entry *p = realloc(e, (cap = cap ? 2 * cap : 64) * sizeof(*e));

			if (!p)
				break;
			e = p;
		}
		snprintf(e[n].name, sizeof(e[n].name), "%s", d->d_name);
		e[n++].used = st.st_mtim;
	}
	closedir(dir);
	if (n > CACHE_MAX) {
		qsort(e, n, sizeof(*e), by_use);
		for (i = 0; i < n - CACHE_MAX; i++)
			unlinkat(dfd, e[i].name, 0);
	}
	free(e);
}

/* Best effort: a cache that cannot be written only costs the next run
 * a compile. */
static void cache_store(const struct ot_bcc_image *im, const char *key, size_t key_len)
{
	char name[32], tmp[48];
	int dfd = cache_open_dir(true), fd;
	FILE *f;

	if (dfd < 0)
		return;
	snprintf(name, sizeof(name), "%016" PRIx64 ".bpf", fnv1a(key, key_len));
	snprintf(tmp, sizeof(tmp), "%s.%d", name, (int)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		close(dfd);
		return;
	}
	f = fdopen(fd, "we");
	if (!f) {
		close(fd);
		unlinkat(dfd, tmp, 0);
		close(dfd);
		return;
	}
	image_write(f, im, key, key_len);
	if (fclose(f) || renameat(dfd, tmp, dfd, name))
		unlinkat(dfd, tmp, 0);
	cache_prune(dfd);
	close(dfd);
}

/* What a compiled program depends on besides its text: the kernel, the
 * headers it was compiled against, the number of CPUs (perf buffer array
 * size). */
static char *cache_key(const char *text, size_t text_len, size_t *key_len)
{
	char headers[PATH_MAX], why[512], conf[PATH_MAX + 64];
	struct utsname u;
	struct stat st;
	char *key = NULL;
	size_t len = 0;
	FILE *f;

	memset(&st, 0, sizeof(st));
	uname(&u);
	if (!ot_bcc_find_headers(headers, sizeof(headers), why, sizeof(why))) {
		snprintf(conf, sizeof(conf), "%s/include/generated/autoconf.h", headers);
		stat(conf, &st);
	} else {
		headers[0] = '\0';
	}
	f = ot_xmemstream(&key, &len);
	fwrite(text, 1, text_len, f);
	fprintf(f, "%c%s %s %s%c%s %lld.%09ld %lld%ccpus %ld%c", 0, u.release, u.version,
		u.machine, 0, headers, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		(long long)st.st_size, 0, sysconf(_SC_NPROCESSORS_CONF), 0);
	ot_xmemstream_close(f);
	*key_len = len;
	return key;
}

/* The program for text: from the cache, else compiled by libbcc (and then
 * cached). */
int ot_bcc_get_image(struct ot_bcc_image *im, const char *text, size_t text_len, bool *cached)
{
	char why[512];
	size_t key_len;
	char *key = cache_key(text, text_len, &key_len);
	void *mod;

	*cached = !cache_load(im, key, key_len);
	if (*cached) {
		free(key);
		return 0;
	}
	if (ot_bcc_load_compiler(why, sizeof(why))) {
		ot_error_msg("bcc: %s", why);
		free(key);
		return -1;
	}
	mod = cc.module_create(text, 0, NULL, 0, true, NULL);
	if (!mod) {
		ot_error_msg("bcc: libbcc could not compile the program (its messages are above; "
			     "'opentrace -B bcc --emit' prints the text)");
		free(key);
		return -1;
	}
	image_from_module(im, mod);
	/* libbcc's own maps go with the module: the run makes its own */
	cc.module_destroy(mod);
	cache_store(im, key, key_len);
	free(key);
	return 0;
}

/* The offsets of task_struct and kin in the running kernel, from its BTF
 * (btf.c), kept here too: parsing the BTF takes 5 MB and tens of ms, which
 * a run whose program is cached would otherwise spend on every start. The
 * key is the kernel's build (uname's release and version) and the size of
 * its BTF; the file holds the key whole, compared in full. */
int ot_bcc_task_offsets(struct ot_bcc_offsets *o)
{
	char key[512], name[48], buf[sizeof(key) + sizeof(*o)];
	int dfd = cache_open_dir(true), fd;
	struct utsname u;
	struct stat st;
	size_t key_len;
	ssize_t n;

	if (uname(&u) || stat("/sys/kernel/btf/vmlinux", &st)) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	snprintf(key, sizeof(key), "%s %s %lld", u.release, u.version, (long long)st.st_size);
	key_len = strlen(key) + 1;
	snprintf(name, sizeof(name), "%016" PRIx64 ".offsets", fnv1a(key, key_len));
	if (dfd >= 0) {
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			n = owned_and_private(fd, false) ? read(fd, buf, sizeof(buf)) : -1;
			close(fd);
			if (n == (ssize_t)(key_len + sizeof(*o)) && !memcmp(buf, key, key_len)) {
				memcpy(o, buf + key_len, sizeof(*o));
				close(dfd);
				return 0;
			}
		}
	}
	if (ot_bcc_btf_offsets(o)) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	/* best effort, as for images: written whole, then renamed */
	if (dfd >= 0) {
		char tmp[64];

		snprintf(tmp, sizeof(tmp), "%s.%d", name, (int)getpid());
		memcpy(buf, key, key_len);
		memcpy(buf + key_len, o, sizeof(*o));
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			n = write(fd, buf, key_len + sizeof(*o));
			if (close(fd) || n != (ssize_t)(key_len + sizeof(*o)) ||
			    renameat(dfd, tmp, dfd, name))
				unlinkat(dfd, tmp, 0);
		}
		close(dfd);
	}
	return 0;
}
