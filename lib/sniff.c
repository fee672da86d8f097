/* sniff.c -- decompressing container input with member offsets and damage
 * gaps, and format detection; see sniff.h. */
#include "sniff.h"

#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define RAW_CAP (256 * 1024)
#define SNIFF_BYTES (64 * 1024)
#define MIN_FREE (64 * 1024)

struct din_member {
	uint64_t upos, raw;
};

struct din_gap {
	uint64_t upos, raw;
	int reported;
	char msg[240];
};

struct wn_din {
	int fd, own_fd;
	char *name;
	enum wn_codec codec;
	/* raw bytes: raw[raw_pos..raw_len) unread; raw[0] is at file offset raw_off */
	unsigned char *raw;
	size_t raw_cap, raw_pos, raw_len;
	uint64_t raw_off;
	int raw_eof, sniffing, raw_used;
	/* decompressed window: win[win_pos..win_len) unread; win[0] is at stream offset win_off */
	char *win;
	size_t win_cap, win_pos, win_len;
	uint64_t win_off;
	int eof, started;
	/* decoders */
	z_stream zs;
	int z_init, in_member, resyncing;
	ZSTD_DCtx *zd;
	bz_stream bz;
	int bz_init;
	lzma_stream lz;
	int lz_init;
	uint64_t member_raw; /* raw offset of the current member */
	struct din_member *mem;
	size_t nmem, memcap;
	struct din_gap *gaps;
	size_t ngaps, gapcap;
	uint64_t damage;
	size_t pending_line; /* bytes of the last getline to consume */
	size_t step_limit;   /* output room of one decoding step */
};

/* ---- raw layer ---- */

static void add_gap(struct wn_din *d, const char *fmt, ...) WN_PRINTF(2, 3);

static uint64_t raw_at(const struct wn_din *d)
{
	return d->raw_off + d->raw_pos;
}

/* Read more raw bytes; returns the number read (0 at end or error). Unread
 * bytes are kept; while sniffing nothing is discarded so we can rewind. */
static size_t raw_more(struct wn_din *d)
{
	if (d->raw_eof)
		return 0;
	if (!d->sniffing && d->raw_pos > 0) {
		memmove(d->raw, d->raw + d->raw_pos, d->raw_len - d->raw_pos);
		d->raw_off += d->raw_pos;
		d->raw_len -= d->raw_pos;
		d->raw_pos = 0;
	}
	if (d->raw_len == d->raw_cap) {
		/* while sniffing nothing may be dropped; a bzip2 block yields its
		 * first byte only when whole (up to ~900 KB compressed) */
		if (d->sniffing && d->raw_cap >= (8u << 20))
			return 0;
		d->raw_cap *= 2;
		d->raw = wn_xrealloc(d->raw, d->raw_cap);
	}
	for (;;) {
		ssize_t n = read(d->fd, d->raw + d->raw_len, d->raw_cap - d->raw_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && !d->sniffing)
				add_gap(d, "read error at offset %llu: %s", (unsigned long long)(d->raw_off + d->raw_len),
					strerror(errno));
			d->raw_eof = 1;
			return 0;
		}
		d->raw_len += (size_t)n;
		return (size_t)n;
	}
}

/* Make at least n raw bytes available if the file has them. */
static size_t raw_need(struct wn_din *d, size_t n)
{
	while (d->raw_len - d->raw_pos < n && raw_more(d) > 0)
		;
	return d->raw_len - d->raw_pos;
}

static void add_gap(struct wn_din *d, const char *fmt, ...) WN_PRINTF(2, 3);
static void add_gap(struct wn_din *d, const char *fmt, ...)
{
	WN_GROW(d->gaps, d->gapcap, d->ngaps + 1);
	struct din_gap *g = &d->gaps[d->ngaps++];
	g->upos = d->win_off + d->win_len;
	g->raw = d->member_raw;
	g->reported = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->msg, sizeof g->msg, fmt, ap);
	va_end(ap);
	d->damage++;
}

static void add_member(struct wn_din *d)
{
	WN_GROW(d->mem, d->memcap, d->nmem + 1);
	d->mem[d->nmem].upos = d->win_off + d->win_len;
	d->mem[d->nmem].raw = raw_at(d);
	d->member_raw = raw_at(d);
	d->nmem++;
}

/* A member failed its check: nothing it produced can be trusted. When the
 * consumer has not read into it yet (one member per record), drop its output
 * and its member entry, so the damage is one clean gap before the next
 * member. (Inside a whole-file member the output before the error stays.) */
static void drop_member_output(struct wn_din *d)
{
	if (!d->nmem)
		return;
	uint64_t ms = d->mem[d->nmem - 1].upos;
	if (ms < d->win_off + d->win_pos || ms < d->win_off)
		return;
	d->win_len = (size_t)(ms - d->win_off);
	d->nmem--;
}

/* Skip raw bytes up to the next occurrence of magic (len 3 or 4). Returns
 * the number of bytes skipped; at the end of the file all are skipped. */
static uint64_t skip_to_magic(struct wn_din *d, const unsigned char *magic, size_t mlen)
{
	uint64_t skipped = 0;
	for (;;) {
		size_t a = d->raw_len - d->raw_pos;
		const unsigned char *p = d->raw + d->raw_pos;
		for (size_t i = 0; i + mlen <= a; i++) {
			const unsigned char *q = memchr(p + i, magic[0], a - i - mlen + 1);
			if (!q)
				break;
			i = (size_t)(q - p);
			if (!memcmp(q, magic, mlen)) {
				d->raw_pos += i;
				return skipped + i;
			}
		}
		/* keep the last mlen-1 bytes: a magic may straddle reads */
		size_t keep = a < mlen - 1 ? a : mlen - 1;
		d->raw_pos += a - keep;
		skipped += a - keep;
		if (raw_more(d) == 0) {
			skipped += d->raw_len - d->raw_pos;
			d->raw_pos = d->raw_len;
			return skipped;
		}
	}
}

/* ---- window ---- */

static void win_space(struct wn_din *d, size_t want)
{
	if (d->win_cap - d->win_len >= want)
		return;
	if (d->win_pos > 0) {
		memmove(d->win, d->win + d->win_pos, d->win_len - d->win_pos);
		d->win_off += d->win_pos;
		d->win_len -= d->win_pos;
		d->win_pos = 0;
	}
	if (d->win_cap - d->win_len < want) {
		size_t cap = d->win_cap ? d->win_cap : 256 * 1024;
		while (cap - d->win_len < want)
			cap *= 2;
		d->win = wn_xrealloc(d->win, cap);
		d->win_cap = cap;
	}
}

/* Room for one decoding step: no more than the fill asked for (plus a
 * little), so the window does not run far ahead of the consumer -- what it
 * holds beyond the consumer is moved at every compaction. */
static size_t out_room(const struct wn_din *d)
{
	return WN_MIN(d->win_cap - d->win_len, d->step_limit);
}

/* ---- decoders: each step consumes raw input, produces output, or ends ---- */

static const unsigned char gz_magic[3] = { 0x1f, 0x8b, 0x08 };
static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

static void gz_step(struct wn_din *d)
{
	if (!d->in_member) {
		size_t a = raw_need(d, 3);
		if (a == 0) {
			d->eof = 1;
			return;
		}
		if (a < 3 || memcmp(d->raw + d->raw_pos, gz_magic, 3)) {
			uint64_t at = raw_at(d);
			uint64_t n = skip_to_magic(d, gz_magic, 3);
			if (!d->resyncing)
				add_gap(d, "%llu bytes of non-gzip data at offset %llu skipped",
					(unsigned long long)n, (unsigned long long)at);
			d->resyncing = 0;
			if (d->raw_pos == d->raw_len && d->raw_eof) {
				d->eof = 1;
				return;
			}
		}
		d->resyncing = 0;
		add_member(d);
		if (inflateReset2(&d->zs, 16 + 15) != Z_OK)
			BUG("inflateReset2");
		d->in_member = 1;
	}
	if (d->raw_pos == d->raw_len && raw_more(d) == 0) {
		add_gap(d, "truncated gzip member at offset %llu (file ends inside it)",
			(unsigned long long)d->member_raw);
		d->eof = 1;
		return;
	}
	d->zs.next_in = d->raw + d->raw_pos;
	d->zs.avail_in = (uInt)WN_MIN(d->raw_len - d->raw_pos, (size_t)UINT32_MAX);
	d->zs.next_out = (unsigned char *)d->win + d->win_len;
	d->zs.avail_out = (uInt)WN_MIN(out_room(d), (size_t)UINT32_MAX);
	size_t in0 = d->zs.avail_in, out0 = d->zs.avail_out;
	int ret = inflate(&d->zs, Z_NO_FLUSH);
	d->raw_pos += in0 - d->zs.avail_in;
	d->win_len += out0 - d->zs.avail_out;
	if (ret == Z_STREAM_END) {
		d->in_member = 0;
	} else if (ret == Z_OK || ret == Z_BUF_ERROR) {
		/* Z_BUF_ERROR: no progress possible without more input; the next
		 * step reads more or reports truncation */
	} else {
		drop_member_output(d);
		add_gap(d, "corrupt gzip data in member at offset %llu: %s", (unsigned long long)d->member_raw,
			d->zs.msg ? d->zs.msg : "inflate error");
		d->in_member = 0;
		d->resyncing = 1;
		if (d->raw_pos < d->raw_len)
			d->raw_pos++; /* never rematch the same bytes */
	}
}

static void zstd_step(struct wn_din *d)
{
	if (!d->in_member) {
		size_t a = raw_need(d, 4);
		if (a == 0) {
			d->eof = 1;
			return;
		}
		const unsigned char *p = d->raw + d->raw_pos;
		int skippable = a >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18;
		if (!skippable && (a < 4 || memcmp(p, zstd_magic, 4))) {
			uint64_t at = raw_at(d);
			uint64_t n = skip_to_magic(d, zstd_magic, 4);
			if (!d->resyncing)
				add_gap(d, "%llu bytes of non-zstd data at offset %llu skipped",
					(unsigned long long)n, (unsigned long long)at);
			d->resyncing = 0;
			if (d->raw_pos == d->raw_len && d->raw_eof) {
				d->eof = 1;
				return;
			}
		}
		d->resyncing = 0;
		add_member(d);
		d->in_member = 1;
	}
	if (d->raw_pos == d->raw_len && raw_more(d) == 0) {
		add_gap(d, "truncated zstd frame at offset %llu (file ends inside it)",
			(unsigned long long)d->member_raw);
		d->eof = 1;
		return;
	}
	ZSTD_inBuffer in = { d->raw + d->raw_pos, d->raw_len - d->raw_pos, 0 };
	ZSTD_outBuffer out = { d->win + d->win_len, out_room(d), 0 };
	size_t ret = ZSTD_decompressStream(d->zd, &out, &in);
	d->raw_pos += in.pos;
	d->win_len += out.pos;
	if (ZSTD_isError(ret)) {
		drop_member_output(d);
		add_gap(d, "corrupt zstd data in frame at offset %llu: %s", (unsigned long long)d->member_raw,
			ZSTD_getErrorName(ret));
		ZSTD_DCtx_reset(d->zd, ZSTD_reset_session_only);
		d->in_member = 0;
		d->resyncing = 1;
		if (d->raw_pos < d->raw_len)
			d->raw_pos++;
	} else if (ret == 0) {
		d->in_member = 0;
	}
}

static void bz_step(struct wn_din *d)
{
	if (!d->bz_init) {
		if (raw_need(d, 1) == 0) {
			d->eof = 1;
			return;
		}
		memset(&d->bz, 0, sizeof d->bz);
		if (BZ2_bzDecompressInit(&d->bz, 0, 0) != BZ_OK)
			BUG("BZ2_bzDecompressInit");
		d->bz_init = 1;
		add_member(d);
	}
	if (d->raw_pos == d->raw_len && raw_more(d) == 0) {
		add_gap(d, "truncated bzip2 stream at offset %llu", (unsigned long long)d->member_raw);
		d->eof = 1;
		return;
	}
	d->bz.next_in = (char *)d->raw + d->raw_pos;
	d->bz.avail_in = (unsigned)WN_MIN(d->raw_len - d->raw_pos, (size_t)UINT32_MAX);
	d->bz.next_out = d->win + d->win_len;
	d->bz.avail_out = (unsigned)WN_MIN(out_room(d), (size_t)UINT32_MAX);
	size_t in0 = d->bz.avail_in, out0 = d->bz.avail_out;
	int ret = BZ2_bzDecompress(&d->bz);
	d->raw_pos += in0 - d->bz.avail_in;
	d->win_len += out0 - d->bz.avail_out;
	if (ret == BZ_STREAM_END) { /* pbzip2 and friends write several streams */
		BZ2_bzDecompressEnd(&d->bz);
		d->bz_init = 0;
	} else if (ret != BZ_OK) {
		add_gap(d, "corrupt bzip2 data at offset %llu (error %d)", (unsigned long long)raw_at(d), ret);
		d->eof = 1;
	}
}

static void xz_step(struct wn_din *d)
{
	if (!d->lz_init) {
		lzma_stream init = LZMA_STREAM_INIT;
		d->lz = init;
		if (lzma_stream_decoder(&d->lz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
			BUG("lzma_stream_decoder");
		d->lz_init = 1;
		add_member(d);
	}
	if (d->raw_pos == d->raw_len)
		raw_more(d);
	d->lz.next_in = d->raw + d->raw_pos;
	d->lz.avail_in = d->raw_len - d->raw_pos;
	d->lz.next_out = (uint8_t *)d->win + d->win_len;
	d->lz.avail_out = out_room(d);
	size_t in0 = d->lz.avail_in, out0 = d->lz.avail_out;
	lzma_ret ret = lzma_code(&d->lz, d->lz.avail_in == 0 && d->raw_eof ? LZMA_FINISH : LZMA_RUN);
	d->raw_pos += in0 - d->lz.avail_in;
	d->win_len += out0 - d->lz.avail_out;
	if (ret == LZMA_STREAM_END) {
		d->eof = 1;
	} else if (ret != LZMA_OK) {
		add_gap(d, "%s xz data near offset %llu (error %d)",
			ret == LZMA_BUF_ERROR ? "truncated" : "corrupt", (unsigned long long)raw_at(d), (int)ret);
		d->eof = 1;
	}
}

static void plain_step(struct wn_din *d)
{
	if (!d->nmem)
		add_member(d);
	if (d->raw_pos == d->raw_len && !d->sniffing && !d->raw_eof) {
		/* nothing buffered: read straight into the window, saving a copy */
		d->raw_off += d->raw_len;
		d->raw_pos = d->raw_len = 0;
		ssize_t n;
		do
			n = read(d->fd, d->win + d->win_len, out_room(d));
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			d->raw_eof = 1;
			d->eof = 1;
			return;
		}
		d->raw_off += (uint64_t)n;
		d->win_len += (size_t)n;
		return;
	}
	if (d->raw_pos == d->raw_len && raw_more(d) == 0) {
		d->eof = 1;
		return;
	}
	size_t n = WN_MIN(d->raw_len - d->raw_pos, out_room(d));
	memcpy(d->win + d->win_len, d->raw + d->raw_pos, n);
	d->raw_pos += n;
	d->win_len += n;
}

/* A zstd WARC (WARC-zstd draft) may open with a skippable frame of magic
 * 0x184D2A5D holding the dictionary the records were compressed with. */
static void zstd_load_dict(struct wn_din *d)
{
	if (raw_need(d, 8) < 8)
		return;
	const unsigned char *p = d->raw + d->raw_pos;
	if (!(p[0] == 0x5d && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18))
		return;
	size_t n = wn_get_le32(p + 4);
	if (raw_need(d, 8 + n) < 8 + n)
		return;
	p = d->raw + d->raw_pos + 8;
	if (n >= 4 && !memcmp(p, zstd_magic, 4)) {
		unsigned long long sz = ZSTD_getFrameContentSize(p, n);
		if (sz != ZSTD_CONTENTSIZE_UNKNOWN && sz != ZSTD_CONTENTSIZE_ERROR && sz < (1u << 30)) {
			void *dict = wn_xmalloc(sz ? sz : 1);
			size_t got = ZSTD_decompress(dict, sz, p, n);
			if (!ZSTD_isError(got))
				ZSTD_DCtx_loadDictionary(d->zd, dict, got);
			free(dict);
		}
	} else {
		ZSTD_DCtx_loadDictionary(d->zd, p, n);
	}
	d->raw_pos += 8 + n;
}

static void dec_start(struct wn_din *d)
{
	d->started = 1;
	switch (d->codec) {
	case WN_CODEC_GZIP:
		if (!d->z_init) {
			memset(&d->zs, 0, sizeof d->zs);
			if (inflateInit2(&d->zs, 16 + 15) != Z_OK)
				BUG("inflateInit2");
			d->z_init = 1;
		}
		break;
	case WN_CODEC_ZSTD:
		if (!d->zd)
			d->zd = ZSTD_createDCtx();
		ZSTD_DCtx_reset(d->zd, ZSTD_reset_session_and_parameters);
		/* files made with `zstd --long` need windows over the 128 MB default */
		ZSTD_DCtx_setParameter(d->zd, ZSTD_d_windowLogMax, 31);
		zstd_load_dict(d);
		break;
	default:
		break;
	}
}

static void dec_reset(struct wn_din *d)
{
	if (d->bz_init)
		BZ2_bzDecompressEnd(&d->bz);
	d->bz_init = 0;
	if (d->lz_init)
		lzma_end(&d->lz);
	d->lz_init = 0;
	d->in_member = d->resyncing = 0;
	d->started = 0;
}

static void step(struct wn_din *d)
{
	if (!d->started)
		dec_start(d);
	switch (d->codec) {
	case WN_CODEC_GZIP: gz_step(d); break;
	case WN_CODEC_ZSTD: zstd_step(d); break;
	case WN_CODEC_BZIP2: bz_step(d); break;
	case WN_CODEC_XZ: xz_step(d); break;
	default: plain_step(d); break;
	}
}

/* ---- public ---- */

struct wn_din *wn_din_open(const char *path, char *err, size_t errlen)
{
	int fd = 0, own = 0;
	if (path && strcmp(path, "-")) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			wn_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
			return NULL;
		}
		own = 1;
		struct stat sb;
		if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			close(fd);
			wn_err(err, errlen, "cannot read '%s': is a directory", path);
			return NULL;
		}
	}
	struct wn_din *d = wn_xcalloc(1, sizeof *d);
	d->fd = fd;
	d->own_fd = own;
	d->name = wn_xstrdup(own ? path : "stdin");
	d->raw_cap = RAW_CAP;
	d->raw = wn_xmalloc(d->raw_cap);
	d->sniffing = 1;
	raw_need(d, SNIFF_BYTES);
	if (d->raw_eof && d->raw_len == 0 && errno && errno != EINTR) {
		/* read error or empty: an empty file is simply empty */
	}
	const unsigned char *p = d->raw;
	size_t n = d->raw_len;
	if (n >= 3 && !memcmp(p, gz_magic, 3))
		d->codec = WN_CODEC_GZIP;
	else if (n >= 4 && (!memcmp(p, zstd_magic, 4) ||
			    ((p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)))
		d->codec = WN_CODEC_ZSTD;
	else if (n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9')
		d->codec = WN_CODEC_BZIP2;
	else if (n >= 6 && !memcmp(p, "\xfd" "7zXZ\0", 6))
		d->codec = WN_CODEC_XZ;
	else
		d->codec = WN_CODEC_PLAIN;
	d->sniffing = 0;
	return d;
}

void wn_din_free(struct wn_din *d)
{
	if (!d)
		return;
	dec_reset(d);
	if (d->z_init)
		inflateEnd(&d->zs);
	ZSTD_freeDCtx(d->zd);
	if (d->own_fd)
		close(d->fd);
	free(d->name);
	free(d->raw);
	free(d->win);
	free(d->mem);
	free(d->gaps);
	free(d);
}

enum wn_codec wn_din_codec(const struct wn_din *d) { return d->codec; }
const char *wn_din_name(const struct wn_din *d) { return d->name; }
const char *wn_din_ptr(const struct wn_din *d) { return d->win + d->win_pos; }
size_t wn_din_avail(const struct wn_din *d) { return d->win_len - d->win_pos; }
uint64_t wn_din_pos(const struct wn_din *d) { return d->win_off + d->win_pos; }
uint64_t wn_din_damage_count(const struct wn_din *d) { return d->damage; }
uint64_t wn_din_raw_pos(const struct wn_din *d) { return d->raw_off + d->raw_pos; }

size_t wn_din_fill(struct wn_din *d, size_t need)
{
	while (d->win_len - d->win_pos < need && !d->eof) {
		size_t want = need - (d->win_len - d->win_pos);
		d->step_limit = want > MIN_FREE ? want : MIN_FREE;
		win_space(d, d->step_limit);
		step(d);
	}
	return d->win_len - d->win_pos;
}

void wn_din_consume(struct wn_din *d, size_t n)
{
	if (n > d->win_len - d->win_pos)
		BUG("wn_din_consume past the window");
	d->win_pos += n;
	if (d->win_pos == d->win_len) {
		d->win_off += d->win_pos;
		d->win_pos = d->win_len = 0;
	}
}

size_t wn_din_read(struct wn_din *d, void *buf, size_t n)
{
	wn_din_forget(d, wn_din_pos(d)); /* streaming readers never look back */
	size_t a = wn_din_fill(d, WN_MIN(n, (size_t)MIN_FREE));
	if (a > n)
		a = n;
	memcpy(buf, d->win + d->win_pos, a);
	wn_din_consume(d, a);
	return a;
}

enum wn_fmt wn_din_sniff(struct wn_din *d)
{
	if (d->started || d->raw_pos || d->win_len)
		BUG("wn_din_sniff after reading");
	d->sniffing = 1;
	wn_din_fill(d, SNIFF_BYTES);
	enum wn_fmt f = wn_sniff_format(wn_din_ptr(d), wn_din_avail(d));
	/* rewind: the raw prefix is intact because sniffing never discards */
	dec_reset(d);
	d->sniffing = 0;
	d->raw_pos = 0;
	d->win_pos = d->win_len = 0;
	d->win_off = 0;
	d->eof = 0;
	d->nmem = d->ngaps = 0;
	d->damage = 0;
	return f;
}

uint64_t wn_din_member_offset(const struct wn_din *d, uint64_t upos, int *starts_here)
{
	if (d->codec == WN_CODEC_PLAIN) {
		if (starts_here)
			*starts_here = 1;
		return upos;
	}
	/* members are in increasing order; the list is short after forget() */
	size_t i = d->nmem;
	while (i > 0 && d->mem[i - 1].upos > upos)
		i--;
	if (i == 0) {
		if (starts_here)
			*starts_here = 0;
		return 0;
	}
	/* several empty members may share one upos: the first one is the start */
	while (i > 1 && d->mem[i - 2].upos == d->mem[i - 1].upos)
		i--;
	if (starts_here)
		*starts_here = d->mem[i - 1].upos == upos;
	return d->mem[i - 1].raw;
}

void wn_din_forget(struct wn_din *d, uint64_t upos)
{
	size_t i = 0;
	while (i + 1 < d->nmem && d->mem[i + 1].upos <= upos)
		i++;
	if (i) {
		memmove(d->mem, d->mem + i, (d->nmem - i) * sizeof *d->mem);
		d->nmem -= i;
	}
	size_t g = 0;
	while (g < d->ngaps && d->gaps[g].upos < upos && d->gaps[g].reported)
		g++;
	if (g) {
		memmove(d->gaps, d->gaps + g, (d->ngaps - g) * sizeof *d->gaps);
		d->ngaps -= g;
	}
}

int64_t wn_din_gap_in(const struct wn_din *d, uint64_t from, uint64_t to, const char **msg)
{
	for (size_t i = 0; i < d->ngaps; i++)
		if (d->gaps[i].upos > from && d->gaps[i].upos < to) {
			if (msg)
				*msg = d->gaps[i].msg;
			return (int64_t)d->gaps[i].upos;
		}
	return -1;
}

const char *wn_din_take_gap(struct wn_din *d, uint64_t upto, uint64_t *raw)
{
	for (size_t i = 0; i < d->ngaps; i++)
		if (!d->gaps[i].reported && d->gaps[i].upos <= upto) {
			d->gaps[i].reported = 1;
			if (raw)
				*raw = d->gaps[i].raw;
			return d->gaps[i].msg;
		}
	return NULL;
}

ssize_t wn_din_raw_chunk(struct wn_din *d, const void **p)
{
	if (d->raw_used == 0) {
		d->raw_used = 1;
		if (d->raw_len > d->raw_pos) {
			*p = d->raw + d->raw_pos;
			size_t n = d->raw_len - d->raw_pos;
			d->raw_pos = d->raw_len;
			return (ssize_t)n;
		}
	}
	d->raw_off += d->raw_len;
	d->raw_pos = d->raw_len = 0;
	for (;;) {
		ssize_t n = read(d->fd, d->raw, d->raw_cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		*p = d->raw;
		d->raw_len = (size_t)n;
		d->raw_pos = (size_t)n;
		return n;
	}
}

int wn_din_getline(struct wn_din *d, const char **line, size_t *len)
{
	if (d->pending_line) {
		wn_din_consume(d, d->pending_line);
		d->pending_line = 0;
	}
	wn_din_forget(d, wn_din_pos(d));
	size_t a = wn_din_fill(d, 1), scanned = 0;
	const char *nl;
	while (!(nl = memchr(wn_din_ptr(d) + scanned, '\n', a - scanned))) {
		scanned = a;
		size_t b = wn_din_fill(d, a * 2); /* doubling: long lines cost O(n) */
		if (b == a)
			break;
		a = b;
	}
	if (a == 0)
		return 0;
	*line = wn_din_ptr(d);
	*len = nl ? (size_t)(nl - *line) : a;
	d->pending_line = nl ? *len + 1 : *len;
	return 1;
}

void wn_source_name(const char *path, char *out, size_t cap)
{
	const char *b = strrchr(path, '/');
	snprintf(out, cap, "%s", !strcmp(path, "-") ? "stdin" : b ? b + 1 : path);
	static const char *ext[] = { ".gz", ".zst", ".bz2", ".xz", ".warc", ".wet", ".xml", ".jsonl", ".json",
				     ".tar", ".tgz", ".zip", ".arc" };
	for (int again = 1; again;) {
		again = 0;
		size_t n = strlen(out);
		for (size_t i = 0; i < WN_ARRAY_SIZE(ext); i++) {
			size_t e = strlen(ext[i]);
			if (n > e && !strcasecmp(out + n - e, ext[i])) {
				out[n - e] = '\0';
				again = 1;
				break;
			}
		}
	}
}

/* ---- format detection ---- */

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* memmem restricted to an ASCII-case-sensitive needle. */
static int has(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}

enum wn_fmt wn_sniff_format(const char *p, size_t n)
{
	const char *e = p + n;
	if (n >= 4 && !memcmp(p, "PK\3\4", 4))
		return WN_FMT_ARCHIVE;
	if (n >= 262 && !memcmp(p + 257, "ustar", 5))
		return WN_FMT_ARCHIVE;
	/* UTF-16 with a BOM: look at the low bytes only (ASCII markup) */
	if (n >= 2 && (((unsigned char)p[0] == 0xff && (unsigned char)p[1] == 0xfe) ||
		       ((unsigned char)p[0] == 0xfe && (unsigned char)p[1] == 0xff))) {
		int le = (unsigned char)p[0] == 0xff;
		char tmp[4096];
		size_t k = 0;
		for (size_t i = 2 + (le ? 0 : 1); i < n && k < sizeof tmp; i += 2)
			tmp[k++] = p[i];
		return has(tmp, k, "<mediawiki") ? WN_FMT_WIKI : WN_FMT_UNKNOWN;
	}
	if (n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	p = skip_ws(p, e);
	size_t m = (size_t)(e - p);
	if ((m >= 5 && !memcmp(p, "WARC/", 5)) || (m >= 11 && !memcmp(p, "filedesc://", 11)))
		return WN_FMT_WARC; /* ARC files are read by the WARC reader too */
	if (m >= 1 && *p == '<')
		return has(p, WN_MIN(m, (size_t)8192), "<mediawiki") ? WN_FMT_WIKI : WN_FMT_UNKNOWN;
	if (m >= 1 && *p == '{')
		return WN_FMT_JSONL;
	return WN_FMT_UNKNOWN;
}

const char *wn_fmt_name(enum wn_fmt f)
{
	switch (f) {
	case WN_FMT_WARC: return "warc";
	case WN_FMT_WIKI: return "wiki";
	case WN_FMT_JSONL: return "jsonl";
	case WN_FMT_ARCHIVE: return "archive";
	default: return "unknown";
	}
}

int wn_fmt_parse(const char *s, enum wn_fmt *f)
{
	static const char *names[] = { "auto", "warc", "wiki", "jsonl", "archive" };
	static const enum wn_fmt vals[] = { WN_FMT_UNKNOWN, WN_FMT_WARC, WN_FMT_WIKI, WN_FMT_JSONL, WN_FMT_ARCHIVE };
	for (size_t i = 0; i < WN_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*f = vals[i];
			return 0;
		}
	return -1;
}
