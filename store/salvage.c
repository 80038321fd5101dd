/* Byte-by-byte salvage of LevelDB log records (see salvage.h). */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearsay/error.h"
#include "salvage.h"

/* LevelDB's log format (doc/log_format.md): 7-byte header (masked CRC-32C of type and data,
 * u32 LE; length u16 LE; type) then the data. */
#define HEADER_LEN  7
#define TYPE_FULL   1
#define TYPE_FIRST  2
#define TYPE_MIDDLE 3
#define TYPE_LAST   4
#define BATCH_HEAD  12 /* sequence u64 LE, count u32 LE */
#define FILE_MAX    (256u << 20)

static uint32_t crc_table[256];

static void crc_init(void)
{
	if (crc_table[1])
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1; /* Castagnoli, reflected */
		crc_table[i] = c;
	}
}

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static uint32_t unmask(uint32_t masked)
{
	uint32_t rot = masked - 0xa282ead8u;
	return (rot >> 17) | (rot << 15);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A varint32 at *pos within [0, n); false if it runs off the end or is too long. */
static bool varint32(const uint8_t *p, size_t n, size_t *pos, uint32_t *out)
{
	uint32_t v = 0;
	for (unsigned shift = 0; shift <= 28 && *pos < n; shift += 7) {
		uint8_t b = p[(*pos)++];
		v |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* Builds the LevelDB batch for rep, or NULL if rep does not parse completely. */
static leveldb_writebatch_t *parse_batch(const uint8_t *rep, size_t n)
{
	if (n < BATCH_HEAD)
		return NULL;
	uint32_t count = le32(rep + 8);
	size_t pos = BATCH_HEAD;
	leveldb_writebatch_t *b = leveldb_writebatch_create();
	for (uint32_t i = 0; i < count; i++) {
		uint32_t kl, vl = 0;
		if (pos >= n)
			goto bad;
		uint8_t tag = rep[pos++];
		if ((tag != 0 && tag != 1) || !varint32(rep, n, &pos, &kl) || kl > n - pos)
			goto bad;
		size_t k = pos;
		pos += kl;
		if (tag == 1) {
			if (!varint32(rep, n, &pos, &vl) || vl > n - pos)
				goto bad;
			leveldb_writebatch_put(b, (const char *)rep + k, kl,
			                       (const char *)rep + pos, vl);
			pos += vl;
		} else {
			leveldb_writebatch_delete(b, (const char *)rep + k, kl);
		}
	}
	if (pos != n)
		goto bad;
	return b;
bad:
	leveldb_writebatch_destroy(b);
	return NULL;
}

static int keep(struct hs_salvage *s, const uint8_t *rep, size_t n)
{
	leveldb_writebatch_t *b = parse_batch(rep, n);
	if (!b)
		return 0; /* not a whole batch: nothing to replay */
	leveldb_writebatch_destroy(b);
	if (s->n == s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 64;
		struct hs_salvage_batch *nb = realloc(s->batches, ncap * sizeof(*nb));
		if (!nb)
			return HS_ERR_NOMEM;
		s->batches = nb;
		s->cap = ncap;
	}
	uint8_t *copy = malloc(n);
	if (!copy)
		return HS_ERR_NOMEM;
	memcpy(copy, rep, n);
	s->batches[s->n++] = (struct hs_salvage_batch){ le64(rep), copy, n };
	return 0;
}

/* Scans one file's bytes for records; fragments are joined in file order. */
static int scan(struct hs_salvage *s, const uint8_t *p, size_t n)
{
	uint8_t *frag = NULL;
	size_t fraglen = 0;
	bool in_frag = false;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i + HEADER_LEN <= n;) {
		size_t len = (size_t)p[i + 4] | (size_t)p[i + 5] << 8;
		uint8_t type = p[i + 6];
		if (type < TYPE_FULL || type > TYPE_LAST || len > n - i - HEADER_LEN ||
		    unmask(le32(p + i)) != crc32c(p + i + 6, len + 1)) {
			i++;
			continue;
		}
		const uint8_t *data = p + i + HEADER_LEN;
		s->records++;
		i += HEADER_LEN + len;
		if (type == TYPE_FULL) {
			in_frag = false;
			rc = keep(s, data, len);
		} else if (type == TYPE_FIRST) {
			fraglen = 0;
			in_frag = true;
		}
		if (type == TYPE_FULL || (!in_frag && type != TYPE_FIRST))
			continue; /* a middle or last fragment whose first one is lost */
		uint8_t *nf = realloc(frag, fraglen + len + 1);
		if (!nf) {
			rc = HS_ERR_NOMEM;
			break;
		}
		frag = nf;
		memcpy(frag + fraglen, data, len);
		fraglen += len;
		if (type == TYPE_LAST) {
			in_frag = false;
			rc = keep(s, frag, fraglen);
		}
	}
	free(frag);
	return rc;
}

static int scan_file(struct hs_salvage *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return HS_ERR_IO;
	int rc = HS_ERR_IO;
	uint8_t *buf = NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long size = ftell(f);
		if (size >= 0 && (unsigned long)size <= FILE_MAX && fseek(f, 0, SEEK_SET) == 0) {
			buf = malloc((size_t)size + 1);
			rc = !buf ? HS_ERR_NOMEM
			     : fread(buf, 1, (size_t)size, f) == (size_t)size
			             ? scan(s, buf, (size_t)size)
			             : HS_ERR_IO;
		}
	}
	free(buf);
	fclose(f);
	return rc;
}

int hs_salvage_scan_bytes(struct hs_salvage *s, const uint8_t *p, size_t n)
{
	crc_init();
	memset(s, 0, sizeof(*s));
	return scan(s, p, n);
}

int hs_salvage_scan(struct hs_salvage *s, const char *dir)
{
	crc_init();
	memset(s, 0, sizeof(*s));
	DIR *d = opendir(dir);
	if (!d)
		return HS_ERR_IO;
	/* Only the newest log: it holds the writes since the last flush to a table. An older
	 * log still present (a crash between a flush and its deletion) holds data a table has
	 * newer versions of, and replaying it would bring old values back. */
	unsigned long long newest = 0;
	bool found = false;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char *end;
		unsigned long long num = strtoull(e->d_name, &end, 10);
		if (n < 5 || end != e->d_name + n - 4 || strcmp(end, ".log") != 0)
			continue;
		if (!found || num > newest)
			newest = num;
		found = true;
	}
	closedir(d);
	if (!found)
		return 0;
	char path[4096 + 32];
	snprintf(path, sizeof(path), "%s/%06llu.log", dir, newest);
	return scan_file(s, path);
}

static int by_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct hs_salvage_batch *)a)->seq;
	uint64_t y = ((const struct hs_salvage_batch *)b)->seq;
	return x < y ? -1 : x > y;
}

size_t hs_salvage_apply(const struct hs_salvage *s, leveldb_t *db, char **lerr)
{
	if (s->n > 1)
		qsort(s->batches, s->n, sizeof(*s->batches), by_seq);
	leveldb_writeoptions_t *lazy = leveldb_writeoptions_create();
	leveldb_writeoptions_t *sync = leveldb_writeoptions_create();
	leveldb_writeoptions_set_sync(sync, 1);
	size_t applied = 0;
	for (size_t i = 0; i < s->n && !*lerr; i++) {
		leveldb_writebatch_t *b = parse_batch(s->batches[i].rep, s->batches[i].replen);
		if (!b)
			continue;
		leveldb_write(db, i + 1 == s->n ? sync : lazy, b, lerr);
		leveldb_writebatch_destroy(b);
		applied += !*lerr;
	}
	leveldb_writeoptions_destroy(lazy);
	leveldb_writeoptions_destroy(sync);
	return applied;
}

void hs_salvage_free(struct hs_salvage *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->batches[i].rep);
	free(s->batches);
	memset(s, 0, sizeof(*s));
}
