/*
 * io.c -- compressed readers and atomic writers; see io.h.
 *
 * The reader keeps two buffers: `raw` (bytes from the file) and `out`
 * (decompressed bytes not yet consumed). Each codec is a small "fill"
 * function that decodes more of raw into out. Lines are cut from `out`; a
 * line longer than the buffer grows `out` by doubling, so a single 200 MB
 * line costs a constant number of copies per byte, not quadratic time.
 */
#include "io.h"
#include "buf.h"

#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

enum codec { C_PLAIN, C_GZIP, C_BZIP2, C_XZ, C_ZSTD };
static const char *const codec_names[] = { "plain", "gzip", "bzip2", "xz", "zstd" };

#define RAW_CHUNK (1 << 17)
#define OUT_CHUNK (1 << 18)

struct wn_reader {
	int fd, own_fd;
	char *name;
	enum codec codec;
	/* raw input */
	unsigned char *raw;
	size_t raw_len, raw_pos; /* valid bytes raw[raw_pos..raw_len) */
	int raw_eof;
	uint64_t raw_consumed; /* bytes read from the fd */
	int64_t raw_size;
	/* decompressed output window: out[out_pos..out_len) not yet consumed */
	char *out;
	size_t out_len, out_pos, out_cap;
	int eof;      /* decoder finished and no more input */
	int failed;
	uint64_t pos; /* decompressed bytes consumed */
	/* codec state */
	z_stream z;
	bz_stream bz;
	lzma_stream xz;
	ZSTD_DCtx *zd;
	int stream_open; /* a gzip member / bzip2 stream is in progress */
	char errmsg[256];
};

static int rfail(struct wn_reader *r, const char *fmt, const char *detail)
{
	r->failed = 1;
	snprintf(r->errmsg, sizeof r->errmsg, fmt, r->name, detail ? detail : "");
	return -1;
}

/* Read more raw bytes; returns bytes added, 0 at EOF, -1 on error. */
static ssize_t raw_fill(struct wn_reader *r)
{
	if (r->raw_eof)
		return 0;
	if (r->raw_pos > 0 && r->raw_pos == r->raw_len)
		r->raw_pos = r->raw_len = 0;
	if (r->raw_len == RAW_CHUNK) {
		memmove(r->raw, r->raw + r->raw_pos, r->raw_len - r->raw_pos);
		r->raw_len -= r->raw_pos;
		r->raw_pos = 0;
	}
	for (;;) {
		ssize_t n = read(r->fd, r->raw + r->raw_len, RAW_CHUNK - r->raw_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rfail(r, "cannot read '%s': %s", strerror(errno));
		if (n == 0)
			r->raw_eof = 1;
		r->raw_len += (size_t)n;
		r->raw_consumed += (uint64_t)n;
		return n;
	}
}

static int detect(struct wn_reader *r)
{
	while (r->raw_len - r->raw_pos < 6 && !r->raw_eof)
		if (raw_fill(r) < 0)
			return -1;
	const unsigned char *p = r->raw + r->raw_pos;
	size_t n = r->raw_len - r->raw_pos;
	r->codec = C_PLAIN;
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		r->codec = C_GZIP;
	else if (n >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h')
		r->codec = C_BZIP2;
	else if (n >= 6 && !memcmp(p, "\xfd" "7zXZ\0", 6))
		r->codec = C_XZ;
	else if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		r->codec = C_ZSTD;
	switch (r->codec) {
	case C_GZIP:
		break; /* inflateInit per member in fill_gzip */
	case C_BZIP2:
		break;
	case C_XZ:
		if (lzma_stream_decoder(&r->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
			return rfail(r, "cannot init xz decoder for '%s'%s", NULL);
		break;
	case C_ZSTD:
		r->zd = ZSTD_createDCtx();
		if (!r->zd)
			return rfail(r, "cannot init zstd decoder for '%s'%s", NULL);
		break;
	case C_PLAIN:
		break;
	}
	return 0;
}

/* Make room for at least `want` more bytes at the end of out, sliding
 * consumed bytes away first. */
static void out_reserve(struct wn_reader *r, size_t want)
{
	if (r->out_pos > 0 && (r->out_pos == r->out_len || r->out_cap - r->out_len < want)) {
		memmove(r->out, r->out + r->out_pos, r->out_len - r->out_pos);
		r->out_len -= r->out_pos;
		r->out_pos = 0;
	}
	if (r->out_cap - r->out_len < want) {
		size_t cap = r->out_cap ? r->out_cap : OUT_CHUNK;
		while (cap - r->out_len < want)
			cap *= 2;
		r->out = wn_xrealloc(r->out, cap);
		r->out_cap = cap;
	}
}

/* Each fill function decodes at least one byte into out, or sets eof, or
 * fails. Returns 0 or -1. */
static int fill_plain(struct wn_reader *r)
{
	out_reserve(r, OUT_CHUNK / 2);
	if (r->raw_pos < r->raw_len) { /* bytes already read during detection */
		size_t n = WN_MIN(r->raw_len - r->raw_pos, r->out_cap - r->out_len);
		memcpy(r->out + r->out_len, r->raw + r->raw_pos, n);
		r->out_len += n;
		r->raw_pos += n;
		return 0;
	}
	for (;;) {
		ssize_t n = read(r->fd, r->out + r->out_len, r->out_cap - r->out_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rfail(r, "cannot read '%s': %s", strerror(errno));
		if (n == 0)
			r->eof = 1;
		r->out_len += (size_t)n;
		r->raw_consumed += (uint64_t)n;
		return 0;
	}
}

static int fill_gzip(struct wn_reader *r)
{
	out_reserve(r, OUT_CHUNK / 2);
	size_t before = r->out_len;
	while (r->out_len == before) {
		if (r->raw_pos == r->raw_len) {
			ssize_t n = raw_fill(r);
			if (n < 0)
				return -1;
			if (n == 0) {
				if (r->stream_open)
					return rfail(r, "'%s': truncated gzip stream%s", NULL);
				r->eof = 1;
				return 0;
			}
		}
		if (!r->stream_open) {
			/* Common Crawl files are many gzip members back to back:
			 * start a new member when the previous one ended. Trailing
			 * zero padding after the last member is tolerated. */
			const unsigned char *p = r->raw + r->raw_pos;
			if (p[0] == 0 && r->raw_len - r->raw_pos >= 1) {
				size_t i = r->raw_pos;
				while (i < r->raw_len && r->raw[i] == 0)
					i++;
				r->raw_pos = i;
				continue;
			}
			memset(&r->z, 0, sizeof r->z);
			if (inflateInit2(&r->z, 15 + 32) != Z_OK)
				return rfail(r, "cannot init zlib for '%s'%s", NULL);
			r->stream_open = 1;
		}
		r->z.next_in = r->raw + r->raw_pos;
		r->z.avail_in = (uInt)(r->raw_len - r->raw_pos);
		r->z.next_out = (unsigned char *)r->out + r->out_len;
		r->z.avail_out = (uInt)(r->out_cap - r->out_len);
		int zr = inflate(&r->z, Z_NO_FLUSH);
		r->raw_pos = r->raw_len - r->z.avail_in;
		r->out_len = r->out_cap - r->z.avail_out;
		if (zr == Z_STREAM_END) {
			inflateEnd(&r->z);
			r->stream_open = 0;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			inflateEnd(&r->z);
			r->stream_open = 0;
			return rfail(r, "'%s': corrupt gzip data (%s)", r->z.msg ? r->z.msg : "inflate error");
		}
	}
	return 0;
}

static int fill_bzip2(struct wn_reader *r)
{
	out_reserve(r, OUT_CHUNK / 2);
	size_t before = r->out_len;
	while (r->out_len == before) {
		if (r->raw_pos == r->raw_len) {
			ssize_t n = raw_fill(r);
			if (n < 0)
				return -1;
			if (n == 0) {
				if (r->stream_open)
					return rfail(r, "'%s': truncated bzip2 stream%s", NULL);
				r->eof = 1;
				return 0;
			}
		}
		if (!r->stream_open) {
			memset(&r->bz, 0, sizeof r->bz);
			if (BZ2_bzDecompressInit(&r->bz, 0, 0) != BZ_OK)
				return rfail(r, "cannot init bzip2 for '%s'%s", NULL);
			r->stream_open = 1;
		}
		r->bz.next_in = (char *)r->raw + r->raw_pos;
		r->bz.avail_in = (unsigned)(r->raw_len - r->raw_pos);
		r->bz.next_out = r->out + r->out_len;
		r->bz.avail_out = (unsigned)(r->out_cap - r->out_len);
		int br = BZ2_bzDecompress(&r->bz);
		r->raw_pos = r->raw_len - r->bz.avail_in;
		r->out_len = r->out_cap - r->bz.avail_out;
		if (br == BZ_STREAM_END) { /* pbzip2 writes several streams */
			BZ2_bzDecompressEnd(&r->bz);
			r->stream_open = 0;
		} else if (br != BZ_OK) {
			BZ2_bzDecompressEnd(&r->bz);
			r->stream_open = 0;
			return rfail(r, "'%s': corrupt bzip2 data%s", NULL);
		}
	}
	return 0;
}

static int fill_xz(struct wn_reader *r)
{
	out_reserve(r, OUT_CHUNK / 2);
	size_t before = r->out_len;
	while (r->out_len == before && !r->eof) {
		if (r->raw_pos == r->raw_len && raw_fill(r) < 0)
			return -1;
		r->xz.next_in = r->raw + r->raw_pos;
		r->xz.avail_in = r->raw_len - r->raw_pos;
		r->xz.next_out = (uint8_t *)r->out + r->out_len;
		r->xz.avail_out = r->out_cap - r->out_len;
		lzma_ret lr = lzma_code(&r->xz, r->raw_eof ? LZMA_FINISH : LZMA_RUN);
		r->raw_pos = r->raw_len - r->xz.avail_in;
		r->out_len = r->out_cap - r->xz.avail_out;
		if (lr == LZMA_STREAM_END)
			r->eof = 1;
		else if (lr == LZMA_BUF_ERROR && r->raw_eof)
			return rfail(r, "'%s': truncated xz stream%s", NULL);
		else if (lr != LZMA_OK)
			return rfail(r, "'%s': corrupt xz data%s", NULL);
	}
	return 0;
}

static int fill_zstd(struct wn_reader *r)
{
	out_reserve(r, ZSTD_DStreamOutSize());
	size_t before = r->out_len;
	while (r->out_len == before) {
		if (r->raw_pos == r->raw_len) {
			ssize_t n = raw_fill(r);
			if (n < 0)
				return -1;
			if (n == 0) {
				if (r->stream_open)
					return rfail(r, "'%s': truncated zstd stream%s", NULL);
				r->eof = 1;
				return 0;
			}
		}
		ZSTD_inBuffer in = { r->raw, r->raw_len, r->raw_pos };
		ZSTD_outBuffer out = { r->out, r->out_cap, r->out_len };
		size_t zr = ZSTD_decompressStream(r->zd, &out, &in);
		r->raw_pos = in.pos;
		r->out_len = out.pos;
		if (ZSTD_isError(zr))
			return rfail(r, "'%s': corrupt zstd data (%s)", ZSTD_getErrorName(zr));
		r->stream_open = zr != 0; /* 0: a frame just ended */
	}
	return 0;
}

static int fill(struct wn_reader *r)
{
	if (r->failed)
		return -1;
	if (r->eof)
		return 0;
	switch (r->codec) {
	case C_PLAIN: return fill_plain(r);
	case C_GZIP: return fill_gzip(r);
	case C_BZIP2: return fill_bzip2(r);
	case C_XZ: return fill_xz(r);
	case C_ZSTD: return fill_zstd(r);
	}
	return -1;
}

struct wn_reader *wn_reader_fdopen(int fd, const char *name, int own_fd, char *err, size_t errlen)
{
	struct wn_reader *r = wn_xcalloc(1, sizeof *r);
	r->fd = fd;
	r->own_fd = own_fd;
	r->name = wn_xstrdup(name);
	r->raw = wn_xmalloc(RAW_CHUNK);
	r->raw_size = -1;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		r->raw_size = st.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	if (detect(r) < 0) {
		wn_err(err, errlen, "%s", r->errmsg);
		wn_reader_free(r);
		return NULL;
	}
	return r;
}

struct wn_reader *wn_reader_open(const char *path, char *err, size_t errlen)
{
	if (!path || !strcmp(path, "-"))
		return wn_reader_fdopen(0, "(stdin)", 0, err, errlen);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		wn_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	return wn_reader_fdopen(fd, path, 1, err, errlen);
}

void wn_reader_free(struct wn_reader *r)
{
	if (!r)
		return;
	if (r->codec == C_GZIP && r->stream_open)
		inflateEnd(&r->z);
	if (r->codec == C_BZIP2 && r->stream_open)
		BZ2_bzDecompressEnd(&r->bz);
	if (r->codec == C_XZ)
		lzma_end(&r->xz);
	ZSTD_freeDCtx(r->zd);
	if (r->own_fd)
		close(r->fd);
	free(r->raw);
	free(r->out);
	free(r->name);
	free(r);
}

ssize_t wn_reader_read(struct wn_reader *r, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		if (r->out_pos == r->out_len) {
			if (r->eof)
				break;
			if (fill(r) < 0)
				return got ? (ssize_t)got : -1;
			continue;
		}
		size_t k = WN_MIN(n - got, r->out_len - r->out_pos);
		memcpy((char *)buf + got, r->out + r->out_pos, k);
		r->out_pos += k;
		got += k;
		r->pos += k;
	}
	return (ssize_t)got;
}

ssize_t wn_reader_peek(struct wn_reader *r, const char **p, size_t n)
{
	if (n > 65536)
		n = 65536;
	while (r->out_len - r->out_pos < n && !r->eof) {
		if (fill(r) < 0)
			return -1;
	}
	*p = r->out + r->out_pos;
	return (ssize_t)WN_MIN(n, r->out_len - r->out_pos);
}

int wn_reader_getline(struct wn_reader *r, const char **line, size_t *len)
{
	size_t scanned = 0; /* bytes after out_pos already known to hold no '\n' */
	for (;;) {
		char *start = r->out + r->out_pos;
		size_t avail = r->out_len - r->out_pos;
		char *nl = avail > scanned ? memchr(start + scanned, '\n', avail - scanned) : NULL;
		if (nl) {
			size_t l = (size_t)(nl - start);
			*line = start;
			*len = l;
			r->out_pos += l + 1;
			r->pos += l + 1;
			return 1;
		}
		scanned = avail;
		if (r->eof) {
			if (avail == 0)
				return 0;
			*line = start;
			*len = avail;
			r->out_pos += avail;
			r->pos += avail;
			return 1;
		}
		/* fill() slides the unconsumed tail to the front before growing,
		 * so `scanned` stays valid relative to out_pos. */
		if (fill(r) < 0) {
			if (avail == 0)
				return -1;
			/* return what was decoded before the damage as a last line;
			 * the next call reports the error */
			*line = r->out + r->out_pos;
			*len = avail;
			r->out_pos += avail;
			r->pos += avail;
			return 1;
		}
	}
}

const char *wn_reader_name(const struct wn_reader *r) { return r->name; }
const char *wn_reader_codec(const struct wn_reader *r) { return codec_names[r->codec]; }
const char *wn_reader_error(const struct wn_reader *r) { return r->failed ? r->errmsg : NULL; }
uint64_t wn_reader_raw_pos(const struct wn_reader *r) { return r->raw_consumed - (r->raw_len - r->raw_pos); }
int64_t wn_reader_raw_size(const struct wn_reader *r) { return r->raw_size; }
uint64_t wn_reader_pos(const struct wn_reader *r) { return r->pos; }

/* ------------------------------------------------------------------ */
/* writer */

#define WBUF (1 << 18)

struct wn_writer {
	int fd;
	char *path, *tmp; /* NULL for stdout */
	enum codec codec;
	unsigned char *buf; /* pending output (compressed, or plain) */
	size_t len;
	uint64_t bytes; /* uncompressed bytes accepted */
	z_stream z;
	ZSTD_CCtx *zc;
	int failed;
	char errmsg[256];
};

static int wfail(struct wn_writer *w, const char *what, int e)
{
	w->failed = 1;
	snprintf(w->errmsg, sizeof w->errmsg, "cannot %s '%s': %s", what, w->path ? w->path : "(stdout)",
		 strerror(e));
	errno = e;
	return -1;
}

static int wflush_raw(struct wn_writer *w)
{
	size_t off = 0;
	while (off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return wfail(w, "write", errno);
		off += (size_t)n;
	}
	w->len = 0;
	return 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

struct wn_writer *wn_writer_open_codec(const char *path, const char *codec, char *err, size_t errlen)
{
	struct wn_writer *w = wn_xcalloc(1, sizeof *w);
	w->codec = C_PLAIN;
	if (codec && !strcmp(codec, "gzip"))
		w->codec = C_GZIP;
	else if (codec && !strcmp(codec, "zstd"))
		w->codec = C_ZSTD;
	struct stat sb;
	if (!path || !strcmp(path, "-")) {
		w->fd = 1;
	} else if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		/* A device or FIFO (-o /dev/null, a named pipe): write to it
		 * directly. A temporary name renamed over it would replace the
		 * device with a regular file. */
		w->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (w->fd < 0) {
			wn_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
			free(w);
			return NULL;
		}
		w->path = wn_xstrdup(path);
	} else {
		w->path = wn_xstrdup(path);
		size_t n = strlen(path) + 32;
		w->tmp = wn_xmalloc(n);
		snprintf(w->tmp, n, "%s.tmp.%ld", path, (long)getpid());
		w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0) {
			wn_err(err, errlen, "cannot create '%s': %s", w->tmp, strerror(errno));
			free(w->path);
			free(w->tmp);
			free(w);
			return NULL;
		}
	}
	w->buf = wn_xmalloc(WBUF);
	if (w->codec == C_GZIP) {
		if (deflateInit2(&w->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			BUG("deflateInit2 failed");
	} else if (w->codec == C_ZSTD) {
		w->zc = ZSTD_createCCtx();
		if (!w->zc)
			BUG("ZSTD_createCCtx failed");
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, 3);
	}
	return w;
}

struct wn_writer *wn_writer_open(const char *path, char *err, size_t errlen)
{
	const char *codec = "plain";
	if (path && has_suffix(path, ".gz"))
		codec = "gzip";
	else if (path && has_suffix(path, ".zst"))
		codec = "zstd";
	return wn_writer_open_codec(path, codec, err, errlen);
}

/* Compress p[0..n) (or finish the stream when fin) into buf, flushing it
 * to the fd when full. */
static int wcompress(struct wn_writer *w, const void *p, size_t n, int fin)
{
	if (w->codec == C_GZIP) {
		w->z.next_in = (unsigned char *)p;
		w->z.avail_in = (uInt)n;
		for (;;) {
			w->z.next_out = w->buf + w->len;
			w->z.avail_out = (uInt)(WBUF - w->len);
			int zr = deflate(&w->z, fin ? Z_FINISH : Z_NO_FLUSH);
			w->len = WBUF - w->z.avail_out;
			if (zr == Z_STREAM_ERROR)
				BUG("deflate stream error");
			if (w->len == WBUF && wflush_raw(w) < 0)
				return -1;
			if (fin ? zr == Z_STREAM_END : w->z.avail_in == 0)
				break;
		}
		return 0;
	}
	ZSTD_inBuffer in = { p, n, 0 };
	for (;;) {
		ZSTD_outBuffer out = { w->buf, WBUF, w->len };
		size_t zr = ZSTD_compressStream2(w->zc, &out, &in, fin ? ZSTD_e_end : ZSTD_e_continue);
		w->len = out.pos;
		if (ZSTD_isError(zr))
			BUG("zstd compress: %s", ZSTD_getErrorName(zr));
		if (w->len == WBUF && wflush_raw(w) < 0)
			return -1;
		if (fin ? zr == 0 : in.pos == in.size)
			break;
	}
	return 0;
}

int wn_writer_write(struct wn_writer *w, const void *p, size_t n)
{
	if (w->failed)
		return -1;
	w->bytes += n;
	if (w->codec != C_PLAIN) {
		/* feed in slices so the int-sized zlib counters never overflow */
		const char *s = p;
		while (n) {
			size_t k = WN_MIN(n, (size_t)1 << 30);
			if (wcompress(w, s, k, 0) < 0)
				return -1;
			s += k;
			n -= k;
		}
		return 0;
	}
	if (w->len + n > WBUF) {
		if (wflush_raw(w) < 0)
			return -1;
		if (n >= WBUF) { /* large writes go straight through */
			const char *s = p;
			while (n) {
				ssize_t k = write(w->fd, s, n);
				if (k < 0 && errno == EINTR)
					continue;
				if (k < 0)
					return wfail(w, "write", errno);
				s += k;
				n -= (size_t)k;
			}
			return 0;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

uint64_t wn_writer_bytes(const struct wn_writer *w) { return w->bytes; }
const char *wn_writer_error(const struct wn_writer *w) { return w->failed ? w->errmsg : NULL; }

static void wfree(struct wn_writer *w)
{
	if (w->codec == C_GZIP)
		deflateEnd(&w->z);
	ZSTD_freeCCtx(w->zc);
	free(w->buf);
	free(w->path);
	free(w->tmp);
	free(w);
}

int wn_writer_commit(struct wn_writer *w, char *err, size_t errlen)
{
	int rc = 0;
	if (!w->failed && w->codec != C_PLAIN)
		rc = wcompress(w, "", 0, 1);
	if (!w->failed && rc == 0)
		rc = wflush_raw(w);
	if (w->path && !w->tmp) { /* device or FIFO: nothing to sync or rename */
		close(w->fd);
	} else if (w->path) {
		if (!w->failed && fsync(w->fd) < 0)
			rc = wfail(w, "fsync", errno);
		if (close(w->fd) < 0 && !w->failed)
			rc = wfail(w, "close", errno);
		if (!w->failed && rename(w->tmp, w->path) < 0)
			rc = wfail(w, "rename", errno);
		if (w->failed)
			unlink(w->tmp);
	}
	if (w->failed) {
		wn_err(err, errlen, "%s", w->errmsg);
		rc = -1;
	}
	wfree(w);
	return rc;
}

void wn_writer_abort(struct wn_writer *w)
{
	if (!w)
		return;
	if (w->path) {
		close(w->fd);
		if (w->tmp)
			unlink(w->tmp);
	}
	wfree(w);
}

int wn_write_file_atomic(const char *path, const void *p, size_t n, char *err, size_t errlen)
{
	struct wn_writer *w = wn_writer_open_codec(path, "plain", err, errlen);
	if (!w)
		return -1;
	if (wn_writer_write(w, p, n) < 0) {
		wn_err(err, errlen, "%s", wn_writer_error(w));
		wn_writer_abort(w);
		return -1;
	}
	return wn_writer_commit(w, err, errlen);
}

int wn_read_file(const char *path, struct wn_buf *out, char *err, size_t errlen)
{
	wn_buf_reset(out);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return wn_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		wn_buf_grow(out, (size_t)sb.st_size);
	for (;;) {
		wn_buf_grow(out, 1 << 16);
		ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return wn_err(err, errlen, "cannot read '%s': %s", path, strerror(e));
		}
		if (n == 0)
			break;
		wn_buf_setlen(out, out->len + (size_t)n);
	}
	close(fd);
	return 0;
}
