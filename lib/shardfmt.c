/*
 * shardfmt.c -- npy / Megatron / llm.c shard writers, manifest, verify.
 *
 * Output files go through wn_shardfile: two 8 MiB buffers; a full one is
 * handed to the file's writer thread, which hashes and writes it while the
 * packer fills the other, to a temporary name opened with O_DIRECT; then fsync, rename.
 * Why O_DIRECT: shards are written once and not read back by this process,
 * and copying them through the page cache cost a third of the stage's CPU
 * time (measured: copy_folio_from_iter 32% in perf); the disk takes DMA
 * straight from our buffers (dd on this VM: ~1 GB/s direct vs 200-800 MB/s
 * buffered, with fsync). File systems without O_DIRECT get plain writes. Counts in a
 * header that are unknown when the file starts (rows of the last npy shard,
 * tokens of the last llm.c shard) are written as the full-shard value and
 * patched at close; only when the patched header has already left the
 * buffer is the file hashed a second time.
 */
#include "shardfmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__)
/* libxxhash's runtime dispatch (the x86 build ships it): its plain entry
 * points are SSE2-only (~12 GB/s, perf: 10% of llm.c's CPU for the input
 * hash); the dispatched ones use AVX2 where the CPU has it. Same digests. */
#include <xxh_x86dispatch.h>
#endif

#define SF_BUFSIZE (8u << 20)
#define SF_NBUF 3
#define SF_ALIGN 4096u
#define NPY_HDR 128u
#define LLMC_HDR 1024u
#define MEGA_HDR 34u

/* ---- SHA-256 with the x86 SHA extensions ---------------------------------- */

/* Why our own: the npy tokens and segments files are written in step, and
 * sha256rnds2 has a latency of about 4 cycles but issues more often, so two
 * independent streams interleaved hash ~1.8x as many bytes per second as
 * one (measured here: 2.8 GB/s for two vs 1.55 GB/s for OpenSSL's one).
 * Hashing was ~40% of the stage's CPU time. Checked against OpenSSL in
 * tests/unit/test_shardfmt.c. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define SHAX_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* state h[8] (a..h) <-> the (ABEF, CDGH) register pair the instructions use */
SHAX_TARGET static inline void shax_load(const uint32_t h[8], __m128i *s0, __m128i *s1)
{
	__m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)h), 0xB1);
	__m128i u = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)(h + 4)), 0x1B);
	*s0 = _mm_alignr_epi8(t, u, 8);
	*s1 = _mm_blend_epi16(u, t, 0xF0);
}

SHAX_TARGET static inline void shax_store(uint32_t h[8], __m128i s0, __m128i s1)
{
	__m128i t = _mm_shuffle_epi32(s0, 0x1B);
	__m128i u = _mm_shuffle_epi32(s1, 0xB1);
	_mm_storeu_si128((__m128i *)(void *)h, _mm_blend_epi16(t, u, 0xF0));
	_mm_storeu_si128((__m128i *)(void *)(h + 4), _mm_alignr_epi8(u, t, 8));
}

/* Two streams, n blocks each. The compiler interleaves the two
 * independent dependency chains of the unrolled loop. */
SHAX_TARGET static void shax_blocks2(uint32_t ha[8], const unsigned char *pa, uint32_t hb[8], const unsigned char *pb,
			      size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i a0, a1, b0, b1;
	shax_load(ha, &a0, &a1);
	shax_load(hb, &b0, &b1);
	for (; n; n--, pa += 64, pb += 64) {
		__m128i sa0 = a0, sa1 = a1, sb0 = b0, sb1 = b1, wa[4], wb[4];
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++) {
			__m128i xa, xb;
			if (i < 4) {
				xa = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(pa + 16 * i)), bswap);
				xb = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(pb + 16 * i)), bswap);
			} else {
				/* W[t..t+3] = msg2(msg1(W[t-16..], W[t-12..]) + W[t-7..t-4], W[t-4..t-1]) */
				xa = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(wa[i & 3], wa[(i + 1) & 3]),
									 _mm_alignr_epi8(wa[(i + 3) & 3], wa[(i + 2) & 3], 4)),
							  wa[(i + 3) & 3]);
				xb = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(wb[i & 3], wb[(i + 1) & 3]),
									 _mm_alignr_epi8(wb[(i + 3) & 3], wb[(i + 2) & 3], 4)),
							  wb[(i + 3) & 3]);
			}
			wa[i & 3] = xa;
			wb[i & 3] = xb;
			__m128i k = _mm_loadu_si128((const __m128i *)(const void *)(K256 + 4 * i));
			__m128i ma = _mm_add_epi32(xa, k), mb = _mm_add_epi32(xb, k);
			a1 = _mm_sha256rnds2_epu32(a1, a0, ma);
			b1 = _mm_sha256rnds2_epu32(b1, b0, mb);
			a0 = _mm_sha256rnds2_epu32(a0, a1, _mm_shuffle_epi32(ma, 0x0E));
			b0 = _mm_sha256rnds2_epu32(b0, b1, _mm_shuffle_epi32(mb, 0x0E));
		}
		a0 = _mm_add_epi32(a0, sa0);
		a1 = _mm_add_epi32(a1, sa1);
		b0 = _mm_add_epi32(b0, sb0);
		b1 = _mm_add_epi32(b1, sb1);
	}
	shax_store(ha, a0, a1);
	shax_store(hb, b0, b1);
}

SHAX_TARGET static void shax_blocks1(uint32_t h[8], const unsigned char *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0, s1;
	shax_load(h, &s0, &s1);
	for (; n; n--, p += 64) {
		__m128i c0 = s0, c1 = s1, w[4];
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++) {
			__m128i x;
			if (i < 4)
				x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)), bswap);
			else
				x = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]),
								       _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4)),
							 w[(i + 3) & 3]);
			w[i & 3] = x;
			__m128i m = _mm_add_epi32(x, _mm_loadu_si128((const __m128i *)(const void *)(K256 + 4 * i)));
			s1 = _mm_sha256rnds2_epu32(s1, s0, m);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
		}
		s0 = _mm_add_epi32(s0, c0);
		s1 = _mm_add_epi32(s1, c1);
	}
	shax_store(h, s0, s1);
}

int wn_sha256x_available(void)
{
	/* cpuid rather than __builtin_cpu_supports("sha"), which clang lacks:
	 * leaf 7 EBX bit 29 = SHA; leaf 1 ECX bit 19 = SSE4.1, bit 9 = SSSE3 */
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 19)) || !(c & (1u << 9)))
		return 0;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
}
#else
static void shax_blocks1(uint32_t h[8], const unsigned char *p, size_t n)
{
	(void)h, (void)p, (void)n;
	BUG("SHA extensions not available");
}

static void shax_blocks2(uint32_t ha[8], const unsigned char *pa, uint32_t hb[8], const unsigned char *pb, size_t n)
{
	(void)ha, (void)pa, (void)hb, (void)pb, (void)n;
	BUG("SHA extensions not available");
}

int wn_sha256x_available(void)
{
	return 0;
}
#endif

void wn_sha256x_init(struct wn_sha256x *s)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(s->h, h0, sizeof h0);
	s->n = 0;
	s->total = 0;
}

void wn_sha256x_update(struct wn_sha256x *s, const void *p, size_t n)
{
	const unsigned char *c = p;
	s->total += n;
	if (s->n) {
		size_t k = WN_MIN(n, 64 - s->n);
		memcpy(s->b + s->n, c, k);
		s->n += k, c += k, n -= k;
		if (s->n < 64)
			return;
		shax_blocks1(s->h, s->b, 1);
		s->n = 0;
	}
	if (n >= 64)
		shax_blocks1(s->h, c, n / 64);
	c += n & ~(size_t)63;
	n &= 63;
	memcpy(s->b, c, n);
	s->n = n;
}

void wn_sha256x_update2(struct wn_sha256x *a, const void *pa, size_t na, struct wn_sha256x *b, const void *pb,
			size_t nb)
{
	size_t k = a->n || b->n ? 0 : WN_MIN(na, nb) / 64; /* whole blocks of both */
	if (k) {
		shax_blocks2(a->h, pa, b->h, pb, k);
		a->total += 64 * k, b->total += 64 * k;
	}
	wn_sha256x_update(a, (const unsigned char *)pa + 64 * k, na - 64 * k);
	wn_sha256x_update(b, (const unsigned char *)pb + 64 * k, nb - 64 * k);
}

void wn_sha256x_final(struct wn_sha256x *s, char hex[65])
{
	uint64_t bits = s->total * 8;
	s->b[s->n++] = 0x80;
	if (s->n > 56) {
		memset(s->b + s->n, 0, 64 - s->n);
		shax_blocks1(s->h, s->b, 1);
		s->n = 0;
	}
	memset(s->b + s->n, 0, 56 - s->n);
	for (int i = 0; i < 8; i++)
		s->b[63 - i] = (unsigned char)(bits >> (8 * i));
	shax_blocks1(s->h, s->b, 1);
	static const char xd[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		unsigned v = (s->h[i / 4] >> (24 - 8 * (i % 4))) & 0xff;
		hex[2 * i] = xd[v >> 4];
		hex[2 * i + 1] = xd[v & 15];
	}
	hex[64] = 0;
}

/* A shard file's hash: ours with the SHA extensions, else OpenSSL. */
static void sfh_init(struct wn_shardfile *f)
{
	static int ni = -1;
	if (ni < 0)
		ni = wn_sha256x_available();
	f->ni = ni;
	if (ni)
		wn_sha256x_init(&f->x);
	else
		wn_sha256_init(&f->sha);
}

static void sfh_update(struct wn_shardfile *f, const void *p, size_t n)
{
	if (f->ni)
		wn_sha256x_update(&f->x, p, n);
	else
		wn_sha256_update(&f->sha, p, n);
}

static void sfh_final(struct wn_shardfile *f, char hex[65])
{
	if (f->ni)
		wn_sha256x_final(&f->x, hex);
	else if (f->sha.ctx)
		wn_sha256_final(&f->sha, hex);
	f->ni = 0;
}

/* ---- atomic output file --------------------------------------------------- */

static void sf_thread_start(struct wn_shardfile *f);

static char *path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = wn_xmalloc(a + b + 2);
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

static void *aligned_buf(size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, SF_ALIGN, n))
		p = NULL;
	if (!p) {
		fprintf(stderr, "winnow: out of memory allocating %zu bytes\n", n);
		abort();
	}
	return p;
}

static struct wn_shardfile *sf_open(struct wn_shardbufs *pool, const char *dir, const char *name, char *err,
				     size_t errlen)
{
	struct wn_shardfile *f = wn_xcalloc(1, sizeof *f);
	f->pool = pool;
	f->path = path_join(dir, name);
	size_t n = strlen(f->path) + 32;
	f->tmp = wn_xmalloc(n);
	snprintf(f->tmp, n, "%s.tmp.%ld", f->path, (long)getpid());
	/* O_DIRECT where the file system has it (not tmpfs): see the top. */
	f->direct = 1;
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
	if (f->fd < 0 && errno == EINVAL) {
		f->direct = 0;
		f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	}
	if (f->fd < 0) {
		wn_err(err, errlen, "cannot create '%s': %s", f->tmp, strerror(errno));
		free(f->path);
		free(f->tmp);
		free(f);
		return NULL;
	}
	f->cap = SF_BUFSIZE;
	for (int i = 0; i < SF_NBUF; i++)
		f->bufs[i] = pool->n ? pool->b[--pool->n] : aligned_buf(f->cap);
	f->buf = f->bufs[0];
	sfh_init(f);
	sf_thread_start(f);
	return f;
}

static int write_all_at(int fd, const void *p, size_t n, uint64_t off)
{
	const char *c = p;
	while (n) {
		ssize_t w = pwrite(fd, c, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A job: the buffers of one or two files (jf), hashed (two streams at a
 * time when both files use our SHA) and then written. Runs on the owner's
 * writer thread, or inline when there is none. */
static void sf_do_job(struct wn_shardfile *w)
{
	struct wn_shardfile *a = w->jf[0], *b = w->jf[1];
	if (b && a->ni && b->ni)
		wn_sha256x_update2(&a->x, a->jbuf, a->jn, &b->x, b->jbuf, b->jn);
	else
		for (int i = 0; i < 2; i++)
			if (w->jf[i])
				sfh_update(w->jf[i], w->jf[i]->jbuf, w->jf[i]->jn);
	/* the writes go asynchronously: the disk writes this buffer while
	 * the next is hashed (one thread hashing, then waiting for its
	 * writes, was 10-20% slower wall-clock) */
	for (int i = 0; i < 2; i++) {
		struct wn_shardfile *f = w->jf[i];
		if (!f)
			continue;
		struct aiocb *cb = &f->cbs[f->jidx];
		memset(cb, 0, sizeof *cb);
		cb->aio_fildes = f->fd;
		cb->aio_buf = (void *)(uintptr_t)f->jbuf;
		cb->aio_nbytes = f->jn;
		cb->aio_offset = (off_t)f->joff;
		if (aio_write(cb) == 0)
			f->busy[f->jidx] = 1;
		else if (write_all_at(f->fd, f->jbuf, f->jn, f->joff) < 0)
			f->jerr = errno;
	}
}

/* Wait for the write of buffer i (if in flight); a short one is finished
 * here. Errors go to f->jerr. */
static void sf_buf_wait(struct wn_shardfile *f, int i)
{
	if (!f->busy[i])
		return;
	struct aiocb *cb = &f->cbs[i];
	const struct aiocb *list[1] = { cb };
	int e;
	while ((e = aio_error(cb)) == EINPROGRESS)
		aio_suspend(list, 1, NULL);
	ssize_t w = aio_return(cb);
	f->busy[i] = 0;
	if (e || w < 0) {
		if (!f->jerr)
			f->jerr = e ? e : EIO;
	} else if ((size_t)w < cb->aio_nbytes) {
		const unsigned char *p = (const unsigned char *)(uintptr_t)cb->aio_buf + w;
		if (write_all_at(f->fd, p, cb->aio_nbytes - (size_t)w, (uint64_t)cb->aio_offset + (uint64_t)w) < 0 &&
		    !f->jerr)
			f->jerr = errno;
	}
}

/* The writer thread. Why a thread of our own rather than POSIX AIO: the
 * hash is the larger cost (SHA-256 ~1.6 GB/s per stream vs the disk's DMA),
 * and doing it here takes it off the packing thread, which on a machine
 * with a second core runs in parallel with it. */
static void *sf_writer(void *arg)
{
	struct wn_shardfile *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->job)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->job == 2)
			break;
		pthread_mutex_unlock(&w->mu);
		sf_do_job(w);
		pthread_mutex_lock(&w->mu);
		w->job = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void sf_thread_start(struct wn_shardfile *f)
{
	f->owner = f;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
}

static void sf_thread_stop(struct wn_shardfile *f)
{
	if (f->has_thread) {
		pthread_mutex_lock(&f->mu);
		f->job = 2;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->th, NULL);
		f->has_thread = 0;
	}
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
}

/* Wait until the owner's writer is idle. */
static void sf_idle(struct wn_shardfile *w)
{
	if (!w->has_thread)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->job)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/* Wait for this file's buffer in flight (if any) to be hashed and written. */
static int sf_wait(struct wn_shardfile *f, char *err, size_t errlen)
{
	if (!f->inflight)
		return 0;
	sf_idle(f->owner);
	f->inflight = 0;
	if (f->jerr)
		return wn_err(err, errlen, "cannot write '%s': %s", f->tmp, strerror(f->jerr));
	return 0;
}

/* Everything handed over is on disk (or failed). */
static int sf_wait_all(struct wn_shardfile *f, char *err, size_t errlen)
{
	if (f->inflight)
		sf_idle(f->owner);
	f->inflight = 0;
	for (int i = 0; i < SF_NBUF; i++)
		sf_buf_wait(f, i);
	if (f->jerr)
		return wn_err(err, errlen, "cannot write '%s': %s", f->tmp, strerror(f->jerr));
	return 0;
}

/* Hand the owner a job (a, and b when not NULL); inline without a thread. */
static void sf_submit(struct wn_shardfile *w, struct wn_shardfile *a, struct wn_shardfile *b)
{
	sf_idle(w);
	w->jf[0] = a;
	w->jf[1] = b;
	if (!w->has_thread && !w->thread_failed) {
		w->has_thread = pthread_create(&w->th, NULL, sf_writer, w) == 0;
		w->thread_failed = !w->has_thread;
	}
	if (!w->has_thread) {
		sf_do_job(w);
	} else {
		pthread_mutex_lock(&w->mu);
		w->job = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	a->inflight = 1;
	if (b)
		b->inflight = 1;
}

/* How much of the buffer can go now: with O_DIRECT only whole blocks; the
 * partial last block stays for the next buffer. Sets up f's job part. */
static size_t sf_take(struct wn_shardfile *f)
{
	size_t n = f->direct ? f->len & ~(size_t)(SF_ALIGN - 1) : f->len;
	f->jbuf = f->buf;
	f->jidx = f->cur;
	f->jn = n;
	f->joff = f->bytes;
	return n;
}

/* After handing over n bytes: continue in the other buffer. */
static void sf_swap(struct wn_shardfile *f, size_t n)
{
	int ni = (f->cur + 1) % SF_NBUF;
	sf_buf_wait(f, ni); /* its write error, if any, is reported by the next sf_wait */
	unsigned char *next = f->bufs[ni];
	f->cur = ni;
	memcpy(next, f->buf + n, f->len - n);
	f->bytes += n;
	f->len -= n;
	f->buf = next;
}

/* Hand the buffer over (the writer hashes and writes it while the caller
 * fills the other), or with `final` hash and write everything here. */
static int sf_flush(struct wn_shardfile *f, int final, char *err, size_t errlen)
{
	if (sf_wait(f, err, errlen) < 0)
		return -1;
	if (final && sf_wait_all(f, err, errlen) < 0)
		return -1;
	if (!final) {
		size_t n = sf_take(f);
		if (n)
			sf_submit(f->owner, f, NULL);
		sf_swap(f, n);
		return 0;
	}
	size_t n = f->len;
	if (n) {
		sfh_update(f, f->buf, n);
		/* whole blocks still go direct; the tail need not be a whole
		 * block: write it buffered */
		size_t al = f->direct ? n & ~(size_t)(SF_ALIGN - 1) : 0;
		if (al && write_all_at(f->fd, f->buf, al, f->bytes) < 0)
			return wn_err(err, errlen, "cannot write '%s': %s", f->tmp, strerror(errno));
		if (al < n && f->direct && fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_DIRECT) == 0)
			f->direct = 0;
		if (al < n && write_all_at(f->fd, f->buf + al, n - al, f->bytes + al) < 0)
			return wn_err(err, errlen, "cannot write '%s': %s", f->tmp, strerror(errno));
	}
	sf_swap(f, n);
	return 0;
}

/* npy: b's buffers go to a's writer, and both flush together when either
 * is full, so their whole blocks are hashed two streams at a time. */
static void sf_pair(struct wn_shardfile *a, struct wn_shardfile *b)
{
	b->owner = a;
}

/* Back to its own writer (before the partner is closed); a buffer still in
 * flight is waited for, its error reported by the next sf_wait. */
static void sf_unpair(struct wn_shardfile *b)
{
	if (b->owner != b) {
		sf_idle(b->owner);
		b->owner = b;
	}
}

/* Make room for na bytes in a and nb in b (a paired with b). */
static int sf_flush_pair(struct wn_shardfile *a, size_t na, struct wn_shardfile *b, size_t nb, char *err,
			 size_t errlen)
{
	if (a->len + na <= a->cap && b->len + nb <= b->cap)
		return 0;
	if (sf_wait(a, err, errlen) < 0 || sf_wait(b, err, errlen) < 0)
		return -1;
	size_t ka = sf_take(a), kb = sf_take(b);
	if (ka || kb)
		sf_submit(a, ka ? a : b, ka && kb ? b : NULL);
	sf_swap(a, ka);
	sf_swap(b, kb);
	return 0;
}

/* Room for n bytes in the buffer; the caller fills them. */
static void *sf_reserve(struct wn_shardfile *f, size_t n, char *err, size_t errlen)
{
	if (f->len + n > f->cap) {
		if (sf_flush(f, 0, err, errlen) < 0)
			return NULL;
		if (f->len + n > f->cap) { /* a row larger than the buffer */
			if (sf_wait_all(f, err, errlen) < 0)
				return NULL;
			size_t cap = (f->len + n + SF_ALIGN - 1) & ~(size_t)(SF_ALIGN - 1);
			int which = f->cur;
			for (int i = 0; i < SF_NBUF; i++) {
				unsigned char *b = aligned_buf(cap);
				if (i == which)
					memcpy(b, f->buf, f->len);
				free(f->bufs[i]);
				f->bufs[i] = b;
			}
			f->buf = f->bufs[which];
			f->cap = cap;
		}
	}
	void *p = f->buf + f->len;
	f->len += n;
	return p;
}

static int sf_write(struct wn_shardfile *f, const void *p, size_t n, char *err, size_t errlen)
{
	const unsigned char *c = p;
	while (n) {
		size_t k = WN_MIN(n, f->cap / 2);
		void *d = sf_reserve(f, k, err, errlen);
		if (!d)
			return -1;
		memcpy(d, c, k);
		c += k;
		n -= k;
	}
	return 0;
}

/* Overwrite bytes at offset off (already written or still buffered). */
static int sf_patch(struct wn_shardfile *f, uint64_t off, const void *p, size_t n, char *err, size_t errlen)
{
	if (off >= f->bytes) {
		memcpy(f->buf + (off - f->bytes), p, n);
		return 0;
	}
	if (off + n > f->bytes)
		BUG("patch straddles the buffer");
	if (sf_wait_all(f, err, errlen) < 0)
		return -1;
	if (f->direct && fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_DIRECT) == 0)
		f->direct = 0;
	if (f->direct || write_all_at(f->fd, p, n, off) < 0)
		return wn_err(err, errlen, "cannot write '%s': %s", f->tmp, strerror(errno));
	f->rehash = 1;
	return 0;
}

static void sf_free(struct wn_shardfile *f)
{
	sf_thread_stop(f);
	char hex[65];
	sfh_final(f, hex); /* releases OpenSSL's context */
	for (int i = 0; i < SF_NBUF; i++) {
		if (f->cap == SF_BUFSIZE && f->pool->n < (int)(sizeof f->pool->b / sizeof f->pool->b[0]))
			f->pool->b[f->pool->n++] = f->bufs[i];
		else
			free(f->bufs[i]);
	}
	free(f->path);
	free(f->tmp);
	free(f);
}

static void sf_abort(struct wn_shardfile *f)
{
	if (!f)
		return;
	char e[8];
	sf_wait_all(f, e, sizeof e);
	close(f->fd);
	unlink(f->tmp);
	sf_free(f);
}

static int sf_commit(struct wn_shardfile *f, struct wn_shard_entry *e, char *err, size_t errlen)
{
	if (sf_flush(f, 1, err, errlen) < 0)
		goto fail;
	if (fsync(f->fd) < 0) {
		wn_err(err, errlen, "cannot fsync '%s': %s", f->tmp, strerror(errno));
		goto fail;
	}
	if (close(f->fd) < 0) {
		f->fd = -1;
		wn_err(err, errlen, "cannot close '%s': %s", f->tmp, strerror(errno));
		goto fail;
	}
	f->fd = -1;
	if (rename(f->tmp, f->path) < 0) {
		wn_err(err, errlen, "cannot rename '%s': %s", f->tmp, strerror(errno));
		goto fail;
	}
	e->bytes = f->bytes;
	sfh_final(f, e->sha256);
	if (f->rehash && wn_sha256_file(f->path, e->sha256, NULL, err, errlen) < 0) {
		sf_free(f);
		return -1;
	}
	sf_free(f);
	return 0;
fail:
	if (f->fd >= 0) {
		char e2[8];
		sf_wait_all(f, e2, sizeof e2);
		close(f->fd);
	}
	unlink(f->tmp);
	sf_free(f);
	return -1;
}

/* XXH3-128 as `xxh128sum` prints it: the canonical (big-endian) form. */
static void xxh128_hex(XXH128_hash_t h, char hex[33])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, h);
	static const char xd[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		hex[2 * i] = xd[c.digest[i] >> 4];
		hex[2 * i + 1] = xd[c.digest[i] & 15];
	}
	hex[32] = 0;
}

static int xxh128_file(const char *path, char hex[33], uint64_t *size, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return wn_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
	XXH3_state_t *st = XXH3_createState();
	if (!st) {
		close(fd);
		return wn_err(err, errlen, "out of memory hashing '%s'", path);
	}
	XXH3_128bits_reset(st);
	size_t cap = 1u << 20;
	unsigned char *b = wn_xmalloc(cap);
	uint64_t total = 0;
	int rc = 0;
	for (;;) {
		ssize_t r = read(fd, b, cap);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = wn_err(err, errlen, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		XXH3_128bits_update(st, b, (size_t)r);
		total += (uint64_t)r;
	}
	if (rc == 0)
		xxh128_hex(XXH3_128bits_digest(st), hex);
	if (size)
		*size = total;
	XXH3_freeState(st);
	free(b);
	close(fd);
	return rc;
}

struct wn_hashjob {
	pthread_t th;
	char *path;
	const unsigned char *map; /* the file's mapping (shared with the packer) */
	size_t mapn;
	XXH3_state_t *st; /* mapped: hashed in line, map[0 .. hashed) so far */
	size_t hashed;
	char hex[33];
	uint64_t size;
	int rc, started;
	char err[256];
};

/* Why XXH3-128 and not SHA-256 here: the input hash only identifies which
 * input a run read (provenance); it is not a checksum a trainer verifies
 * (shard files keep SHA-256). SHA-256 of the input was the largest single
 * cost of the stage (836 MB at 1.55 GB/s, one stream that cannot be paired:
 * ~0.55 CPU-s of ~2.3, perf); XXH3-128 runs at memory speed, and
 * `xxh128sum` (Debian xxhash) prints the same digest.
 *
 * A mapped input is hashed by the packing thread as it reads the documents
 * (wn_tokmap_next, a few hundred KiB at a time, while they are still in the
 * cache), through the mapping the packer reads: no copy, no second pass
 * over the file from memory (a helper thread hashing the mapping on its own
 * read the 836 MB from DRAM a second time: 7-12% of the CPU, perf). Whatever
 * the packer did not read (compressed files, a failed run) is hashed at the
 * end. Other regular files are hashed by a helper thread, reading them. */
static void hashjob_upto(struct wn_hashjob *j, size_t pos)
{
	if (pos > j->hashed) {
		XXH3_128bits_update(j->st, j->map + j->hashed, pos - j->hashed);
		j->hashed = pos;
	}
}

static void *hash_thread(void *arg)
{
	struct wn_hashjob *j = arg;
	j->rc = xxh128_file(j->path, j->hex, &j->size, j->err, sizeof j->err);
	return NULL;
}

static struct wn_hashjob *hashjob_start(const char *path, const void *map, size_t mapn)
{
	struct wn_hashjob *j = wn_xcalloc(1, sizeof *j);
	j->path = wn_xstrdup(path);
	j->map = map;
	j->mapn = mapn;
	if (map && (j->st = XXH3_createState()) != NULL)
		XXH3_128bits_reset(j->st);
	else
		j->started = pthread_create(&j->th, NULL, hash_thread, j) == 0;
	return j;
}

static int hashjob_finish(struct wn_hashjob *j, char hex[33], uint64_t *size, char *err, size_t errlen)
{
	if (j->st) {
		hashjob_upto(j, j->mapn);
		xxh128_hex(XXH3_128bits_digest(j->st), j->hex);
		XXH3_freeState(j->st);
		j->size = j->mapn;
		j->rc = 0;
	} else if (j->started) {
		pthread_join(j->th, NULL);
	} else {
		hash_thread(j);
	}
	int rc = j->rc;
	if (rc < 0)
		wn_err(err, errlen, "%s", j->err);
	memcpy(hex, j->hex, 33);
	*size = j->size;
	free(j->path);
	free(j);
	return rc;
}

void wn_inputs_start(struct wn_inputs *x, char **paths, int n)
{
	x->n = n;
	x->in = wn_xcalloc((size_t)n + 1, sizeof *x->in);
	x->hj = wn_xcalloc((size_t)n + 1, sizeof *x->hj);
	x->raw = wn_xcalloc((size_t)n + 1, sizeof *x->raw);
	x->map = wn_xcalloc((size_t)n + 1, sizeof *x->map);
	x->mapn = wn_xcalloc((size_t)n + 1, sizeof *x->mapn);
	x->all_regular = 1;
	for (int i = 0; i < n; i++) {
		struct stat sb; /* a pipe (stdin, <(...)) must not be read twice */
		x->in[i].path = paths[i];
		int fd = strcmp(paths[i], "-") ? open(paths[i], O_RDONLY | O_CLOEXEC) : -1;
		if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (sb.st_size > 0) {
				void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
				if (p != MAP_FAILED) {
					madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL);
					x->map[i] = p;
					x->mapn[i] = (size_t)sb.st_size;
				}
			}
			x->hj[i] = hashjob_start(paths[i], x->map[i], x->mapn[i]);
		} else {
			x->all_regular = 0;
		}
		if (fd >= 0)
			close(fd);
	}
}

void wn_inputs_finish(struct wn_inputs *x, FILE *log)
{
	for (int i = 0; i < x->n; i++) {
		char err[256];
		if (x->hj[i] && hashjob_finish(x->hj[i], x->in[i].xxh3_128, &x->in[i].bytes, err, sizeof err) < 0 && log)
			fprintf(log, "winnow-pack: %s\n", err);
		x->hj[i] = NULL;
		if (!x->in[i].xxh3_128[0])
			x->in[i].bytes = x->raw[i];
	}
}

void wn_inputs_release(struct wn_inputs *x)
{
	if (x->hj)
		wn_inputs_finish(x, NULL);
	for (int i = 0; i < x->n; i++)
		if (x->map[i])
			munmap((void *)(uintptr_t)x->map[i], x->mapn[i]);
	free(x->in);
	free(x->hj);
	free(x->raw);
	free(x->map);
	free(x->mapn);
	memset(x, 0, sizeof *x);
}

int wn_shard_write_small(const char *path, const void *p, size_t n, char *err, size_t errlen)
{
	size_t tl = strlen(path) + 32;
	char *tmp = wn_xmalloc(tl);
	snprintf(tmp, tl, "%s.tmp.%ld", path, (long)getpid());
	int rc = -1, fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		wn_err(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
	} else if (write_all(fd, p, n) < 0 || fsync(fd) < 0) {
		wn_err(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
	} else if (close(fd) < 0 || rename(tmp, path) < 0) {
		wn_err(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
	} else {
		rc = 0;
	}
	free(tmp);
	return rc;
}

/* ---- formats -------------------------------------------------------------- */

unsigned wn_shard_esize(enum wn_shard_format f, uint32_t vocab)
{
	if (f == WN_FMT_MEGATRON)
		return vocab < 65500 ? 2 : 4;
	return vocab <= 65536 ? 2 : 4;
}

const char *wn_shard_format_name(enum wn_shard_format f)
{
	return f == WN_FMT_NPY ? "npy" : f == WN_FMT_MEGATRON ? "megatron" : "llmc";
}

/* NumPy format 1.0 header, always NPY_HDR bytes (padded with spaces), so it
 * can be rewritten in place with a different row count. */
static void npy_header(unsigned char *out, const char *descr, uint64_t rows, uint32_t cols)
{
	char dict[NPY_HDR];
	int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%llu, %u), }",
			 descr, (unsigned long long)rows, cols);
	if (n < 0 || (size_t)n + 11 > NPY_HDR)
		BUG("npy header too long");
	memcpy(out, "\x93NUMPY\x01\x00", 8);
	out[8] = (unsigned char)((NPY_HDR - 10) & 0xff);
	out[9] = (unsigned char)((NPY_HDR - 10) >> 8);
	memset(out + 10, ' ', NPY_HDR - 10);
	memcpy(out + 10, dict, (size_t)n);
	out[NPY_HDR - 1] = '\n';
}

static void llmc_header(unsigned char *out, unsigned esize, uint64_t ntok)
{
	memset(out, 0, LLMC_HDR);
	wn_put_le32(out, esize == 2 ? 20240520u : 20240801u);
	wn_put_le32(out + 4, esize == 2 ? 1u : 7u);
	wn_put_le32(out + 8, (uint32_t)ntok);
}

static struct wn_shard_entry *new_entry(struct wn_shardset *s, const char *name, const char *kind)
{
	WN_GROW(s->ent, s->entcap, s->nent + 1);
	struct wn_shard_entry *e = &s->ent[s->nent++];
	memset(e, 0, sizeof *e);
	e->name = wn_xstrdup(name);
	e->split = !strcmp(s->o.split, "val") ? "val" : "train";
	e->kind = kind;
	return e;
}

static int is_val(const struct wn_shardset *s)
{
	return !strcmp(s->o.split, "val");
}

int wn_shardset_open(struct wn_shardset *s, const struct wn_shardset_opts *o, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->o = *o;
	s->esize = wn_shard_esize(o->format, o->vocab);
	if (o->format == WN_FMT_NPY) {
		struct wn_pack_opts po = {
			.kind = o->pack, .seq_len = o->seq_len, .esize = s->esize, .pad_id = o->pad_id,
			.buffer_tokens = o->buffer_tokens, .seed = o->seed, .stream = is_val(s) ? 2 : 1,
		};
		if (wn_packer_init(&s->pk, &po, err, errlen) < 0)
			return -1;
		s->per_shard = o->shard_tokens / o->seq_len;
		if (s->per_shard == 0)
			s->per_shard = 1;
	} else if (o->format == WN_FMT_LLMC) {
		s->per_shard = o->shard_tokens;
		if (s->per_shard == 0 || s->per_shard > 0x7fffffffu)
			return wn_err(err, errlen, "--shard-tokens must be in 1..%u for llmc", 0x7fffffffu);
	} else {
		char name[4096];
		snprintf(name, sizeof name, "%s%s.bin", o->prefix, is_val(s) ? "_val" : "");
		if (!(s->f1 = sf_open(&s->bufs, o->dir, name, err, errlen)))
			return -1;
	}
	return 0;
}

static int npy_close_shard(struct wn_shardset *s, uint64_t toks, char *err, size_t errlen)
{
	/* A full shard (its header is final): hand both files' last whole
	 * blocks to the writer as one paired job, so they are hashed two
	 * streams at a time and written while the other is hashed, rather than
	 * one after the other on this thread at commit. (A short last shard
	 * keeps its header in the buffer, where it is patched for free.) */
	if (s->in_shard == s->per_shard && sf_flush_pair(s->f1, s->f1->cap, s->f2, s->f2->cap, err, errlen) < 0)
		return -1;
	sf_unpair(s->f2); /* f1 and its thread go first */
	if (s->in_shard != s->per_shard) {
		unsigned char h[NPY_HDR];
		npy_header(h, s->esize == 2 ? "<u2" : "<u4", s->in_shard, s->o.seq_len);
		if (sf_patch(s->f1, 0, h, NPY_HDR, err, errlen) < 0)
			return -1;
		npy_header(h, s->pk.seg_esize == 2 ? "<u2" : "<u4", s->in_shard, s->o.seq_len);
		if (sf_patch(s->f2, 0, h, NPY_HDR, err, errlen) < 0)
			return -1;
	}
	const char *base1 = s->f1->path + strlen(s->o.dir) + 1, *base2 = s->f2->path + strlen(s->o.dir) + 1;
	struct wn_shard_entry *e1 = new_entry(s, base1, "tokens");
	e1->rows = s->in_shard;
	e1->tokens = toks;
	struct wn_shard_entry *e2 = new_entry(s, base2, "segments");
	e2->rows = s->in_shard;
	e2->tokens = toks;
	struct wn_shardfile *f1 = s->f1, *f2 = s->f2;
	s->f1 = s->f2 = NULL;
	int rc = sf_commit(f1, e1, err, errlen);
	if (rc < 0) {
		sf_abort(f2);
		return -1;
	}
	s->in_shard = 0;
	s->shard++;
	return sf_commit(f2, e2, err, errlen);
}

static int npy_drain(struct wn_shardset *s, int final, char *err, size_t errlen)
{
	struct wn_packer *p = &s->pk;
	wn_packer_pack(p, final);
	size_t n = wn_packer_nrows(p), L = s->o.seq_len;
	for (size_t i = 0; i < n; i++) {
		if (!s->f1) {
			char name[64];
			unsigned char h[NPY_HDR];
			snprintf(name, sizeof name, "%stokens.%05zu.npy", is_val(s) ? "val_" : "", s->shard);
			if (!(s->f1 = sf_open(&s->bufs, s->o.dir, name, err, errlen)))
				return -1;
			snprintf(name, sizeof name, "%ssegments.%05zu.npy", is_val(s) ? "val_" : "", s->shard);
			if (!(s->f2 = sf_open(&s->bufs, s->o.dir, name, err, errlen)))
				return -1;
			sf_pair(s->f1, s->f2);
			npy_header(h, s->esize == 2 ? "<u2" : "<u4", s->per_shard, s->o.seq_len);
			if (sf_write(s->f1, h, NPY_HDR, err, errlen) < 0)
				return -1;
			npy_header(h, p->seg_esize == 2 ? "<u2" : "<u4", s->per_shard, s->o.seq_len);
			if (sf_write(s->f2, h, NPY_HDR, err, errlen) < 0)
				return -1;
			s->tokens = 0;
		}
		if (sf_flush_pair(s->f1, L * s->esize, s->f2, L * p->seg_esize, err, errlen) < 0)
			return -1;
		void *t = sf_reserve(s->f1, L * s->esize, err, errlen);
		void *g = t ? sf_reserve(s->f2, L * p->seg_esize, err, errlen) : NULL;
		if (!g)
			return -1;
		s->tokens += wn_packer_row(p, i, t, g); /* tokens of the open shard */
		if (++s->in_shard == s->per_shard && npy_close_shard(s, s->tokens, err, errlen) < 0)
			return -1;
	}
	wn_packer_reset(p);
	return 0;
}

static int llmc_close_shard(struct wn_shardset *s, char *err, size_t errlen)
{
	if (s->in_shard != s->per_shard) {
		unsigned char h[LLMC_HDR];
		llmc_header(h, s->esize, s->in_shard);
		if (sf_patch(s->f1, 0, h, 12, err, errlen) < 0)
			return -1;
	}
	struct wn_shard_entry *e = new_entry(s, s->f1->path + strlen(s->o.dir) + 1, "llmc");
	e->tokens = s->in_shard;
	struct wn_shardfile *f = s->f1;
	s->f1 = NULL;
	s->in_shard = 0;
	s->shard++;
	return sf_commit(f, e, err, errlen);
}

/* One document: n little-endian uint32 ids at tok (any alignment); ref: they
 * outlive the set, so the packer may keep a pointer. */
static int shardset_add(struct wn_shardset *s, const unsigned char *tok, size_t n, int ref, char *err, size_t errlen)
{
	if (s->o.format == WN_FMT_NPY) {
		int full = ref ? wn_packer_add_ref(&s->pk, tok, n) : wn_packer_add(&s->pk, tok, n);
		if (full)
			return npy_drain(s, 0, err, errlen);
		return 0;
	}
	s->docs++;
	s->tokens += n;
	if (s->o.format == WN_FMT_MEGATRON) {
		if (n > 0x7fffffffu)
			return wn_err(err, errlen, "document of %zu tokens does not fit Megatron's int32 lengths", n);
		WN_GROW(s->lens, s->lenscap, s->nlens + 1);
		s->lens[s->nlens++] = (int32_t)n;
		while (n) {
			size_t k = WN_MIN(n, (size_t)SF_BUFSIZE / s->esize);
			void *d = sf_reserve(s->f1, k * s->esize, err, errlen);
			if (!d)
				return -1;
			wn_pack_narrow(d, s->esize, tok, k);
			tok += 4 * k;
			n -= k;
		}
		return 0;
	}
	/* llm.c: one flat stream cut into shards of per_shard tokens. */
	while (n) {
		if (!s->f1) {
			char name[4096];
			unsigned char h[LLMC_HDR];
			snprintf(name, sizeof name, "%s_%s_%06zu.bin", s->o.prefix, is_val(s) ? "val" : "train", s->shard);
			if (!(s->f1 = sf_open(&s->bufs, s->o.dir, name, err, errlen)))
				return -1;
			llmc_header(h, s->esize, s->per_shard);
			if (sf_write(s->f1, h, LLMC_HDR, err, errlen) < 0)
				return -1;
		}
		size_t k = (size_t)WN_MIN((uint64_t)n, s->per_shard - s->in_shard);
		k = WN_MIN(k, (size_t)SF_BUFSIZE / s->esize);
		void *d = sf_reserve(s->f1, k * s->esize, err, errlen);
		if (!d)
			return -1;
		wn_pack_narrow(d, s->esize, tok, k);
		tok += 4 * k;
		n -= k;
		s->in_shard += k;
		if (s->in_shard == s->per_shard && llmc_close_shard(s, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int wn_shardset_add(struct wn_shardset *s, const void *le32, size_t n, char *err, size_t errlen)
{
	return shardset_add(s, le32, n, 0, err, errlen);
}

int wn_shardset_add_ref(struct wn_shardset *s, const void *le32, size_t n, char *err, size_t errlen)
{
	return shardset_add(s, le32, n, 1, err, errlen);
}

static int mega_finish(struct wn_shardset *s, char *err, size_t errlen)
{
	struct wn_shard_entry *eb = new_entry(s, s->f1->path + strlen(s->o.dir) + 1, "bin");
	eb->docs = s->nlens;
	eb->tokens = s->tokens;
	struct wn_shardfile *f = s->f1;
	s->f1 = NULL;
	if (sf_commit(f, eb, err, errlen) < 0)
		return -1;
	char name[4096];
	snprintf(name, sizeof name, "%s%s.idx", s->o.prefix, is_val(s) ? "_val" : "");
	if (!(f = sf_open(&s->bufs, s->o.dir, name, err, errlen)))
		return -1;
	unsigned char h[MEGA_HDR];
	memcpy(h, "MMIDIDX\x00\x00", 9);
	wn_put_le64(h + 9, 1);
	h[17] = s->esize == 2 ? 8 : 4; /* Megatron DType codes: uint16 = 8, int32 = 4 */
	wn_put_le64(h + 18, s->nlens);
	wn_put_le64(h + 26, s->nlens + 1);
	int rc = sf_write(f, h, MEGA_HDR, err, errlen);
	/* the three arrays, in blocks of up to 64K entries */
	uint64_t ptr = 0;
	for (int part = 0; part < 3 && rc == 0; part++) {
		size_t n = part == 2 ? s->nlens + 1 : s->nlens, w = part == 0 ? 4 : 8;
		for (size_t i = 0; i < n && rc == 0;) {
			size_t k = WN_MIN(n - i, (size_t)65536);
			unsigned char *b = sf_reserve(f, k * w, err, errlen);
			if (!b) {
				rc = -1;
				break;
			}
			for (size_t j = 0; j < k; j++, i++) {
				if (part == 0) {
					wn_put_le32(b + 4 * j, (uint32_t)s->lens[i]);
				} else if (part == 1) {
					wn_put_le64(b + 8 * j, ptr);
					ptr += (uint64_t)(uint32_t)s->lens[i] * s->esize;
				} else {
					wn_put_le64(b + 8 * j, i);
				}
			}
		}
	}
	if (rc < 0) {
		sf_abort(f);
		return -1;
	}
	struct wn_shard_entry *ei = new_entry(s, name, "idx");
	ei->docs = s->nlens;
	ei->tokens = s->tokens;
	return sf_commit(f, ei, err, errlen);
}

int wn_shardset_finish(struct wn_shardset *s, char *err, size_t errlen)
{
	switch (s->o.format) {
	case WN_FMT_NPY:
		if (npy_drain(s, 1, err, errlen) < 0)
			return -1;
		if (s->f1)
			return npy_close_shard(s, s->tokens, err, errlen);
		return 0;
	case WN_FMT_LLMC:
		return s->f1 ? llmc_close_shard(s, err, errlen) : 0;
	case WN_FMT_MEGATRON:
		return mega_finish(s, err, errlen);
	}
	return 0;
}

void wn_shardset_abort(struct wn_shardset *s)
{
	if (s->f2)
		sf_unpair(s->f2);
	sf_abort(s->f1);
	sf_abort(s->f2);
	s->f1 = s->f2 = NULL;
}

void wn_shardset_release(struct wn_shardset *s)
{
	wn_shardset_abort(s);
	if (s->o.format == WN_FMT_NPY)
		wn_packer_release(&s->pk);
	free(s->lens);
	for (size_t i = 0; i < s->nent; i++)
		free(s->ent[i].name);
	free(s->ent);
	for (int i = 0; i < s->bufs.n; i++)
		free(s->bufs.b[i]);
	memset(s, 0, sizeof *s);
}

void wn_shardset_stats(const struct wn_shardset *s, struct wn_pack_stats *st)
{
	if (s->o.format == WN_FMT_NPY) {
		*st = s->pk.st;
		return;
	}
	memset(st, 0, sizeof *st);
	st->docs = s->docs;
	st->tokens = s->tokens;
}

/* ---- output directory: routing ------------------------------------------ */

int wn_shardout_open(struct wn_shardout *o, const struct wn_shardout_opts *opts, struct wn_pack_mix *mix, char *err,
		     size_t errlen)
{
	memset(o, 0, sizeof *o);
	o->mix = mix;
	o->val_docs = opts->val_docs;
	o->val_frac = opts->val_frac;
	o->have_val = opts->val_docs > 0 || opts->val_frac > 0;
	wn_rng_seed(&o->vrng, opts->set.seed, 4);
	const char *dir = opts->set.dir;
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return wn_err(err, errlen, "cannot create '%s': %s", dir, strerror(errno));
	char *mp = path_join(dir, "manifest.json");
	int gone = unlink(mp) == 0 || errno == ENOENT;
	free(mp);
	if (!gone)
		return wn_err(err, errlen, "cannot remove the old '%s/manifest.json': %s", dir, strerror(errno));
	struct wn_shardset_opts so = opts->set;
	so.split = "train";
	if (wn_shardset_open(&o->train, &so, err, errlen) < 0)
		return -1;
	so.split = "val";
	if (o->have_val && wn_shardset_open(&o->val, &so, err, errlen) < 0)
		return -1;
	if (o->val_docs)
		o->res = wn_xcalloc(o->val_docs, sizeof *o->res);
	return 0;
}

static int to_train(struct wn_shardout *o, const unsigned char *tok, size_t n, int ref, struct wn_pack_source *s,
		    char *err, size_t errlen)
{
	unsigned k = wn_pack_mix_repeats(o->mix, s, n);
	if (!k) {
		o->dropped++;
		return 0;
	}
	for (unsigned i = 0; i < k; i++)
		if (shardset_add(&o->train, tok, n, ref, err, errlen) < 0)
			return -1;
	o->written++;
	s->docs_out += k, s->tokens_out += (uint64_t)k * n;
	if (s->mixidx >= 0) {
		o->mix->ent[s->mixidx].docs_out += k;
		o->mix->ent[s->mixidx].tokens_out += (uint64_t)k * n;
	}
	return 0;
}

static int to_val(struct wn_shardout *o, const unsigned char *tok, size_t n, int ref, struct wn_pack_source *s,
		  char *err, size_t errlen)
{
	o->written++;
	s->docs_val++, s->tokens_val += n;
	return shardset_add(&o->val, tok, n, ref, err, errlen);
}

static int shardout_add(struct wn_shardout *o, const unsigned char *tok, size_t n, int ref, struct wn_pack_source *s,
			char *err, size_t errlen)
{
	uint64_t i = o->eligible++;
	if (o->val_frac > 0 && wn_rng_unit(&o->vrng) < o->val_frac)
		return to_val(o, tok, n, ref, s, err, errlen);
	if (!o->val_docs)
		return to_train(o, tok, n, ref, s, err, errlen);
	/* Reservoir sampling (Algorithm R): a uniform sample of val_docs
	 * documents from a stream of unknown length in O(val_docs) memory; a
	 * document pushed out of the reservoir goes to train right then (so
	 * train order is input order except for those). The reservoir holds
	 * copies (they are freed when displaced). */
	uint64_t slot = o->nres < o->val_docs ? o->nres++ : wn_rng_below(&o->vrng, i + 1);
	if (slot >= o->val_docs)
		return to_train(o, tok, n, ref, s, err, errlen);
	struct wn_shardout_res *r = &o->res[slot];
	if (r->tok && to_train(o, (const unsigned char *)r->tok, r->n, 0, r->src, err, errlen) < 0)
		return -1;
	free(r->tok);
	r->tok = wn_xmalloc(n * 4 + 1);
	memcpy(r->tok, tok, n * 4);
	r->n = n, r->src = s;
	return 0;
}

int wn_shardout_add(struct wn_shardout *o, const void *le32, size_t n, struct wn_pack_source *s, char *err,
		    size_t errlen)
{
	return shardout_add(o, le32, n, 0, s, err, errlen);
}

int wn_shardout_add_ref(struct wn_shardout *o, const void *le32, size_t n, struct wn_pack_source *s, char *err,
			size_t errlen)
{
	return shardout_add(o, le32, n, 1, s, err, errlen);
}

/* Is `name` a shard file name of any format (with this prefix)? */
static int shard_name(const char *name, const char *prefix)
{
	size_t n = strlen(name), pl = strlen(prefix);
	const char *p = name;
	if (!strncmp(p, "val_", 4))
		p += 4;
	const char *q = !strncmp(p, "tokens.", 7) ? p + 7 : !strncmp(p, "segments.", 9) ? p + 9 : NULL;
	if (q && strlen(q) == 9 && strspn(q, "0123456789") == 5 && !strcmp(q + 5, ".npy"))
		return 1;
	if (strncmp(name, prefix, pl))
		return 0;
	p = name + pl;
	if (!strcmp(p, ".bin") || !strcmp(p, ".idx") || !strcmp(p, "_val.bin") || !strcmp(p, "_val.idx"))
		return 1;
	q = !strncmp(p, "_train_", 7) ? p + 7 : !strncmp(p, "_val_", 5) ? p + 5 : NULL;
	return q && strlen(q) == 10 && strspn(q, "0123456789") == 6 && !strcmp(q + 6, ".bin") && n > pl;
}

static int written_here(const struct wn_shardout *o, const char *name)
{
	const struct wn_shardset *sets[2] = { &o->train, o->have_val ? &o->val : NULL };
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; sets[k] && i < sets[k]->nent; i++)
			if (!strcmp(sets[k]->ent[i].name, name))
				return 1;
	return 0;
}

static void remove_stale(const struct wn_shardout *o, FILE *log)
{
	const char *dir = o->train.o.dir, *prefix = o->train.o.prefix ? o->train.o.prefix : "winnow";
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (shard_name(e->d_name, prefix) && !written_here(o, e->d_name)) {
			char *p = path_join(dir, e->d_name);
			if (unlink(p) == 0 && log)
				fprintf(log, "winnow-pack: removed '%s', a shard of an earlier run\n", p);
			free(p);
		}
	closedir(d);
}

int wn_shardout_finish(struct wn_shardout *o, FILE *log, char *err, size_t errlen)
{
	for (size_t i = 0; i < o->nres; i++)
		if (to_val(o, (const unsigned char *)o->res[i].tok, o->res[i].n, 0, o->res[i].src, err, errlen) < 0)
			return -1;
	if (wn_shardset_finish(&o->train, err, errlen) < 0)
		return -1;
	if (o->have_val && wn_shardset_finish(&o->val, err, errlen) < 0)
		return -1;
	remove_stale(o, log);
	return 0;
}

void wn_shardout_release(struct wn_shardout *o)
{
	wn_shardset_release(&o->train);
	if (o->have_val)
		wn_shardset_release(&o->val);
	for (size_t i = 0; i < o->nres; i++)
		free(o->res[i].tok);
	free(o->res);
	memset(o, 0, sizeof *o);
}

/* ---- manifest ------------------------------------------------------------- */

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *split_json(const struct wn_shardset *s, uint32_t seq_len)
{
	struct wn_pack_stats st;
	wn_shardset_stats(s, &st);
	json_t *o = json_object();
	json_object_set_new(o, "documents", jint(st.docs));
	json_object_set_new(o, "tokens", jint(st.tokens));
	if (s->o.format == WN_FMT_NPY) {
		double cells = (double)st.rows * seq_len;
		json_object_set_new(o, "rows", jint(st.rows));
		json_object_set_new(o, "padding_tokens", jint(st.padding));
		json_object_set_new(o, "fill_rate", json_real(cells > 0 ? (double)st.tokens / cells : 0));
		json_object_set_new(o, "padding_fraction", json_real(cells > 0 ? (double)st.padding / cells : 0));
	}
	json_object_set_new(o, "documents_cut", jint(st.docs_cut));
	json_object_set_new(o, "tokens_cut", jint(st.tokens_cut));
	json_object_set_new(o, "truncation_fraction",
			    json_real(st.tokens ? (double)st.tokens_cut / (double)st.tokens : 0));
	json_object_set_new(o, "shards", jint(s->shard));
	return o;
}

static void files_json(json_t *arr, const struct wn_shardset *s)
{
	for (size_t i = 0; i < s->nent; i++) {
		const struct wn_shard_entry *e = &s->ent[i];
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(e->name));
		json_object_set_new(o, "split", json_string(e->split));
		json_object_set_new(o, "kind", json_string(e->kind));
		json_object_set_new(o, "bytes", jint(e->bytes));
		if (!strcmp(e->kind, "tokens") || !strcmp(e->kind, "segments"))
			json_object_set_new(o, "rows", jint(e->rows));
		json_object_set_new(o, "tokens", jint(e->tokens));
		if (e->docs)
			json_object_set_new(o, "documents", jint(e->docs));
		json_object_set_new(o, "sha256", json_string(e->sha256));
		json_array_append_new(arr, o);
	}
}

static json_t *sources_json(struct wn_pack_mix *m, uint64_t train_tokens)
{
	json_t *o = json_object();
	size_t n;
	struct wn_pack_source **v = wn_pack_sources_sorted(m, &n);
	uint64_t in_total = 0;
	for (size_t i = 0; i < n; i++)
		in_total += v[i]->tokens_in;
	for (size_t i = 0; i < n; i++) {
		const struct wn_pack_source *s = v[i];
		json_t *j = json_object();
		json_object_set_new(j, "documents_in", jint(s->docs_in));
		json_object_set_new(j, "tokens_in", jint(s->tokens_in));
		if (s->mixidx >= 0)
			json_object_set_new(j, "mix_key", json_string(m->ent[s->mixidx].key));
		json_object_set_new(j, "documents_out", jint(s->docs_out));
		json_object_set_new(j, "tokens_out", jint(s->tokens_out));
		json_object_set_new(j, "documents_val", jint(s->docs_val));
		json_object_set_new(j, "tokens_val", jint(s->tokens_val));
		json_object_set_new(j, "share_in", json_real(in_total ? (double)s->tokens_in / (double)in_total : 0));
		json_object_set_new(j, "share_out",
				    json_real(train_tokens ? (double)s->tokens_out / (double)train_tokens : 0));
		json_object_set_new(o, s->name, j);
	}
	free(v);
	return o;
}

static json_t *mix_json(const struct wn_pack_mix *m, uint64_t train_tokens)
{
	json_t *o = json_object();
	for (size_t i = 0; i < m->nent; i++) {
		const struct wn_pack_mixent *e = &m->ent[i];
		json_t *j = json_object();
		json_object_set_new(j, "weight", json_real(e->weight));
		json_object_set_new(j, "share_requested", json_real(e->share));
		json_object_set_new(j, "repeat_factor", json_real(e->factor));
		json_object_set_new(j, "documents_in", jint(e->docs_in));
		json_object_set_new(j, "tokens_in", jint(e->tokens_in));
		json_object_set_new(j, "tokens_requested", jint((uint64_t)(e->factor * (double)e->tokens_in + 0.5)));
		json_object_set_new(j, "documents_out", jint(e->docs_out));
		json_object_set_new(j, "tokens_out", jint(e->tokens_out));
		json_object_set_new(j, "share_achieved",
				    json_real(train_tokens ? (double)e->tokens_out / (double)train_tokens : 0));
		json_object_set_new(o, e->key, j);
	}
	return o;
}

static json_t *id_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

int wn_manifest_write(const char *dir, const struct wn_manifest_info *mi, char *err, size_t errlen)
{
	const struct wn_shardset *tr = mi->train;
	json_t *m = json_object();
	json_object_set_new(m, "format", json_string(wn_shard_format_name(mi->format)));
	json_object_set_new(m, "dtype", json_string(tr->esize == 2 ? "uint16" : (mi->format == WN_FMT_MEGATRON ? "int32" : "uint32")));
	json_object_set_new(m, "mode", json_string(mi->mode));
	if (mi->format == WN_FMT_NPY) {
		json_object_set_new(m, "seq_len", jint(mi->seq_len));
		json_object_set_new(m, "pack", json_string(mi->pack == WN_PACK_BESTFIT ? "bestfit" : "concat"));
		json_object_set_new(m, "segments_dtype", json_string(tr->pk.seg_esize == 2 ? "uint16" : "uint32"));
		json_object_set_new(m, "pad_token", jint((uint64_t)mi->pad_used));
	} else {
		json_object_set_new(m, "seq_len", json_null());
	}
	json_t *tk = json_object();
	json_object_set_new(tk, "hash", json_string(mi->tokenizer_hash));
	json_object_set_new(tk, "vocab_size", jint(mi->vocab));
	json_object_set_new(tk, "eos_id", id_or_null(mi->eos_id));
	json_object_set_new(tk, "bos_id", id_or_null(mi->bos_id));
	json_object_set_new(tk, "pad_id", id_or_null(mi->pad_id));
	json_object_set_new(m, "tokenizer", tk);
	json_object_set_new(m, "seed", jint(mi->seed));
	json_object_set_new(m, "min_doc_tokens", jint(mi->min_doc_tokens));
	json_t *in = json_object();
	json_object_set_new(in, "documents", jint(mi->docs_in));
	json_object_set_new(in, "documents_rejected", jint(mi->docs_rejected));
	json_object_set_new(in, "documents_bad", jint(mi->docs_bad));
	json_object_set_new(m, "input", in);
	json_t *splits = json_object();
	json_object_set_new(splits, "train", split_json(tr, mi->seq_len));
	if (mi->val)
		json_object_set_new(splits, "val", split_json(mi->val, mi->seq_len));
	json_object_set_new(m, "counts", splits);
	uint64_t train_tokens = 0;
	{
		struct wn_pack_stats st;
		wn_shardset_stats(tr, &st);
		train_tokens = st.tokens;
	}
	json_object_set_new(m, "sources", sources_json(mi->mix, train_tokens));
	if (mi->mix->nent)
		json_object_set_new(m, "mix", mix_json(mi->mix, train_tokens));
	json_t *files = json_array();
	files_json(files, tr);
	if (mi->val)
		files_json(files, mi->val);
	json_object_set_new(m, "files", files);
	json_t *pv = json_object();
	json_object_set_new(pv, "winnow_version", json_string(WN_VERSION));
	json_object_set_new(pv, "winnow_commit", json_string(WN_COMMIT));
	json_t *cl = json_array();
	for (int i = 0; i < mi->argc; i++)
		json_array_append_new(cl, json_string(mi->argv[i]));
	json_object_set_new(pv, "command_line", cl);
	json_t *ins = json_array();
	for (size_t i = 0; i < mi->ninputs; i++) {
		json_t *j = json_object();
		json_object_set_new(j, "path", json_string(mi->inputs[i].path));
		json_object_set_new(j, "bytes", jint(mi->inputs[i].bytes));
		json_object_set_new(j, "xxh3_128",
				    mi->inputs[i].xxh3_128[0] ? json_string(mi->inputs[i].xxh3_128) : json_null());
		json_array_append_new(ins, j);
	}
	json_object_set_new(pv, "inputs", ins);
	json_object_set_new(m, "provenance", pv);
	char *text = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(m);
	if (!text)
		return wn_err(err, errlen, "cannot serialise manifest (invalid UTF-8 in a source tag or path?)");
	size_t tl = strlen(text);
	char *withnl = wn_xmalloc(tl + 2);
	memcpy(withnl, text, tl);
	withnl[tl] = '\n';
	free(text);
	char *path = path_join(dir, "manifest.json");
	int rc = wn_shard_write_small(path, withnl, tl + 1, err, errlen);
	free(path);
	free(withnl);
	if (rc == 0) {
		/* Make the renames durable before anyone trusts the manifest. */
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return rc;
}

/* ---- verify --------------------------------------------------------------- */

struct vmap {
	const unsigned char *p;
	size_t n;
};

static int vmap_open(struct vmap *m, const char *path)
{
	m->p = NULL;
	m->n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return -1;
	}
	m->n = (size_t)sb.st_size;
	if (m->n) {
		void *p = mmap(NULL, m->n, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			close(fd);
			return -1;
		}
		m->p = p;
	}
	close(fd);
	return 0;
}

static void vmap_close(struct vmap *m)
{
	if (m->p)
		munmap((void *)m->p, m->n);
	m->p = NULL;
}

#define VFAIL(...) (fprintf(log, "verify: " __VA_ARGS__), fputc('\n', log), bad++)

static uint32_t load_id(const unsigned char *p, unsigned es)
{
	return es == 2 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : wn_get_le32(p);
}

/* Parse our npy header: descr and shape. Returns the data offset or 0. */
static size_t npy_parse(const struct vmap *m, char *descr, size_t dlen, uint64_t *rows, uint64_t *cols)
{
	if (m->n < 10 || memcmp(m->p, "\x93NUMPY\x01\x00", 8))
		return 0;
	size_t hl = (size_t)m->p[8] | (size_t)m->p[9] << 8;
	if (10 + hl > m->n || hl > 4096)
		return 0;
	char h[4097];
	memcpy(h, m->p + 10, hl);
	h[hl] = '\0';
	const char *d = strstr(h, "'descr': '"), *s = strstr(h, "'shape': ("), *f = strstr(h, "'fortran_order': False");
	if (!d || !s || !f)
		return 0;
	d += 10;
	size_t k = 0;
	while (d[k] && d[k] != '\'' && k + 1 < dlen) {
		descr[k] = d[k];
		k++;
	}
	descr[k] = '\0';
	unsigned long long r, c;
	if (sscanf(s + 10, "%llu, %llu)", &r, &c) != 2)
		return 0;
	*rows = r;
	*cols = c;
	return 10 + hl;
}

static int verify_npy_pair(const char *dir, json_t *ft, json_t *fs, const json_t *man, FILE *log)
{
	int bad = 0;
	uint64_t L = (uint64_t)json_integer_value(json_object_get(man, "seq_len"));
	uint64_t vocab = (uint64_t)json_integer_value(json_object_get(json_object_get(man, "tokenizer"), "vocab_size"));
	uint64_t pad = (uint64_t)json_integer_value(json_object_get(man, "pad_token"));
	const char *nt = json_string_value(json_object_get(ft, "name")), *ns = json_string_value(json_object_get(fs, "name"));
	char *pt = path_join(dir, nt), *ps = path_join(dir, ns);
	struct vmap mt, ms;
	int ot = vmap_open(&mt, pt), os = vmap_open(&ms, ps);
	if (ot < 0 || os < 0) {
		VFAIL("cannot read '%s' or '%s'", nt, ns);
		goto out;
	}
	char dt[16], ds[16];
	uint64_t rt, ct, r2, c2;
	size_t ht = npy_parse(&mt, dt, sizeof dt, &rt, &ct), hs = npy_parse(&ms, ds, sizeof ds, &r2, &c2);
	if (!ht || !hs) {
		VFAIL("'%s': not a NumPy 1.0 file of ours", !ht ? nt : ns);
		goto out;
	}
	unsigned et = !strcmp(dt, "<u2") ? 2 : !strcmp(dt, "<u4") ? 4 : 0;
	unsigned es = !strcmp(ds, "<u2") ? 2 : !strcmp(ds, "<u4") ? 4 : 0;
	uint64_t rows = (uint64_t)json_integer_value(json_object_get(ft, "rows"));
	if (!et || !es || L == 0 || ct != L || c2 != L || rt != rows || r2 != rows || rows > mt.n / L / et ||
	    rows > ms.n / L / es) { /* (the last two also keep rows * L * size from overflowing) */
		VFAIL("'%s': header (%s, %llu x %llu) does not match the manifest", nt, dt, (unsigned long long)rt,
		      (unsigned long long)ct);
		goto out;
	}
	if (mt.n != ht + rows * L * et || ms.n != hs + rows * L * es) {
		VFAIL("'%s' / '%s': size does not match the shape", nt, ns);
		goto out;
	}
	uint64_t doctok = 0;
	for (uint64_t r = 0; r < rows && bad < 5; r++) {
		const unsigned char *t = mt.p + ht + r * L * et, *g = ms.p + hs + r * L * es;
		uint32_t prev = 0;
		for (uint64_t j = 0; j < L; j++) {
			uint32_t id = load_id(t + j * et, et), sg = load_id(g + j * es, es);
			if (sg == 0) {
				if (id != pad) {
					VFAIL("'%s' row %llu col %llu: padding position holds %u, not the pad id", nt,
					      (unsigned long long)r, (unsigned long long)j, id);
					break;
				}
			} else {
				doctok++;
				if (id >= vocab) {
					VFAIL("'%s' row %llu: token %u >= vocab %llu", nt, (unsigned long long)r, id,
					      (unsigned long long)vocab);
					break;
				}
			}
			/* ordinals: 1 at column 0, then the same or one more;
			 * padding (0) only as a suffix */
			if (sg != 0 && (sg > prev + 1 || sg < prev || (prev == 0 && j > 0))) {
				VFAIL("'%s' row %llu col %llu: segment ordinal %u after %u", ns, (unsigned long long)r,
				      (unsigned long long)j, sg, prev);
				break;
			}
			prev = sg;
		}
	}
	if (!bad && doctok != (uint64_t)json_integer_value(json_object_get(ft, "tokens")))
		VFAIL("'%s': %llu document tokens, manifest says otherwise", nt, (unsigned long long)doctok);
out:
	vmap_close(&mt);
	vmap_close(&ms);
	free(pt);
	free(ps);
	return bad;
}

static int verify_llmc(const char *dir, json_t *fe, const json_t *man, FILE *log)
{
	int bad = 0;
	uint64_t vocab = (uint64_t)json_integer_value(json_object_get(json_object_get(man, "tokenizer"), "vocab_size"));
	const char *n = json_string_value(json_object_get(fe, "name"));
	char *p = path_join(dir, n);
	struct vmap m;
	if (vmap_open(&m, p) < 0 || m.n < LLMC_HDR) {
		VFAIL("'%s': missing or shorter than the llm.c header", n);
		goto out;
	}
	uint32_t magic = wn_get_le32(m.p), ver = wn_get_le32(m.p + 4), cnt = wn_get_le32(m.p + 8);
	unsigned es = magic == 20240520u && ver == 1 ? 2 : magic == 20240801u && ver == 7 ? 4 : 0;
	if (!es) {
		VFAIL("'%s': bad magic/version %u/%u", n, magic, ver);
		goto out;
	}
	if (m.n != LLMC_HDR + (uint64_t)cnt * es || cnt != (uint64_t)json_integer_value(json_object_get(fe, "tokens"))) {
		VFAIL("'%s': header token count %u does not match size or manifest", n, cnt);
		goto out;
	}
	for (uint64_t i = 0; i < cnt; i++)
		if (load_id(m.p + LLMC_HDR + i * es, es) >= vocab) {
			VFAIL("'%s': token %llu >= vocab", n, (unsigned long long)i);
			break;
		}
out:
	vmap_close(&m);
	free(p);
	return bad;
}

static int verify_megatron(const char *dir, json_t *fb, json_t *fi, const json_t *man, FILE *log)
{
	int bad = 0;
	const char *nb = json_string_value(json_object_get(fb, "name")), *ni = json_string_value(json_object_get(fi, "name"));
	char *pb = path_join(dir, nb), *pi = path_join(dir, ni);
	struct vmap mb, mi;
	int ob = vmap_open(&mb, pb), oi = vmap_open(&mi, pi);
	if (ob < 0 || oi < 0 || mi.n < MEGA_HDR || memcmp(mi.p, "MMIDIDX\x00\x00", 9) || wn_get_le64(mi.p + 9) != 1) {
		VFAIL("'%s': missing or not a Megatron MMIDIDX version 1 index", ni);
		goto out;
	}
	unsigned es = mi.p[17] == 8 ? 2 : mi.p[17] == 4 ? 4 : 0;
	uint64_t ns = wn_get_le64(mi.p + 18), nd = wn_get_le64(mi.p + 26);
	/* ns bounded first: with ns = 3 + 2^62 the size formula wraps to a
	 * plausible value */
	if (!es || ns > mi.n / 20 || nd != ns + 1 || mi.n != MEGA_HDR + ns * 4 + ns * 8 + nd * 8) {
		VFAIL("'%s': dtype code %u, %llu sequences, %llu document entries do not match its size", ni, mi.p[17],
		      (unsigned long long)ns, (unsigned long long)nd);
		goto out;
	}
	const unsigned char *lens = mi.p + MEGA_HDR, *ptrs = lens + ns * 4, *docs = ptrs + ns * 8;
	uint64_t off = 0;
	for (uint64_t i = 0; i < ns; i++) {
		if (wn_get_le64(ptrs + i * 8) != off) {
			VFAIL("'%s': pointer %llu is not the sum of the lengths before it", ni, (unsigned long long)i);
			goto out;
		}
		off += (uint64_t)wn_get_le32(lens + i * 4) * es;
	}
	for (uint64_t i = 0; i < nd; i++)
		if (wn_get_le64(docs + i * 8) != i) {
			VFAIL("'%s': document index %llu is not %llu", ni, (unsigned long long)i, (unsigned long long)i);
			goto out;
		}
	if (off != mb.n)
		VFAIL("'%s': %llu bytes, index says %llu", nb, (unsigned long long)mb.n, (unsigned long long)off);
	if (ns != (uint64_t)json_integer_value(json_object_get(fb, "documents")))
		VFAIL("'%s': %llu sequences, manifest says otherwise", ni, (unsigned long long)ns);
out:
	vmap_close(&mb);
	vmap_close(&mi);
	free(pb);
	free(pi);
	WN_UNUSED(man);
	return bad;
}

int wn_shards_verify(const char *dir, FILE *log, char *err, size_t errlen)
{
	char *mp = path_join(dir, "manifest.json");
	json_error_t je;
	json_t *man = json_load_file(mp, 0, &je);
	free(mp);
	if (!man)
		return wn_err(err, errlen, "cannot read '%s/manifest.json': %s (line %d)", dir, je.text, je.line);
	int bad = 0;
	json_t *files = json_object_get(man, "files");
	const char *fmt = json_string_value(json_object_get(man, "format"));
	if (!json_is_array(files) || !fmt) {
		json_decref(man);
		return wn_err(err, errlen, "'%s/manifest.json' has no files or format", dir);
	}
	/* 1. sizes and hashes of every file */
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *sha = json_string_value(json_object_get(f, "sha256"));
		if (!name || !sha || strchr(name, '/')) {
			VFAIL("file entry %zu lacks a plain name or sha256", i);
			continue;
		}
		char *p = path_join(dir, name), hex[65];
		uint64_t size = 0;
		char e2[256];
		if (wn_sha256_file(p, hex, &size, e2, sizeof e2) < 0)
			VFAIL("'%s': %s", name, e2);
		else if (size != (uint64_t)json_integer_value(json_object_get(f, "bytes")))
			VFAIL("'%s': %llu bytes, manifest says %lld", name, (unsigned long long)size,
			      (long long)json_integer_value(json_object_get(f, "bytes")));
		else if (strcmp(hex, sha))
			VFAIL("'%s': sha256 %s, manifest says %s", name, hex, sha);
		free(p);
	}
	/* 2. structure, and per-split token totals against the counts */
	const char *splits[] = { "train", "val" };
	for (int sp = 0; sp < 2; sp++) {
		json_t *cnt = json_object_get(json_object_get(man, "counts"), splits[sp]);
		uint64_t tokens = 0, rows = 0;
		json_array_foreach(files, i, f) {
			const char *split = json_string_value(json_object_get(f, "split"));
			const char *kind = json_string_value(json_object_get(f, "kind"));
			if (!split || !kind || strcmp(split, splits[sp]))
				continue;
			if (!strcmp(fmt, "npy") && !strcmp(kind, "tokens")) {
				json_t *g = json_array_get(files, i + 1);
				const char *k2 = json_string_value(json_object_get(g, "kind"));
				if (!k2 || strcmp(k2, "segments")) {
					VFAIL("'%s' has no segments file after it", json_string_value(json_object_get(f, "name")));
					continue;
				}
				bad += verify_npy_pair(dir, f, g, man, log);
				tokens += (uint64_t)json_integer_value(json_object_get(f, "tokens"));
				rows += (uint64_t)json_integer_value(json_object_get(f, "rows"));
			} else if (!strcmp(fmt, "llmc") && !strcmp(kind, "llmc")) {
				bad += verify_llmc(dir, f, man, log);
				tokens += (uint64_t)json_integer_value(json_object_get(f, "tokens"));
			} else if (!strcmp(fmt, "megatron") && !strcmp(kind, "bin")) {
				json_t *g = json_array_get(files, i + 1);
				const char *k2 = json_string_value(json_object_get(g, "kind"));
				if (!k2 || strcmp(k2, "idx")) {
					VFAIL("'%s' has no index after it", json_string_value(json_object_get(f, "name")));
					continue;
				}
				bad += verify_megatron(dir, f, g, man, log);
				tokens += (uint64_t)json_integer_value(json_object_get(f, "tokens"));
			}
		}
		if (!cnt)
			continue;
		if (tokens != (uint64_t)json_integer_value(json_object_get(cnt, "tokens")))
			VFAIL("%s: files hold %llu tokens, counts say %lld", splits[sp], (unsigned long long)tokens,
			      (long long)json_integer_value(json_object_get(cnt, "tokens")));
		if (!strcmp(fmt, "npy") && rows != (uint64_t)json_integer_value(json_object_get(cnt, "rows")))
			VFAIL("%s: files hold %llu rows, counts say %lld", splits[sp], (unsigned long long)rows,
			      (long long)json_integer_value(json_object_get(cnt, "rows")));
	}
	json_decref(man);
	return bad ? 1 : 0;
}

/* ---- token stream through a mapping --------------------------------------- */

#define TM_MAX_TAG (1u << 20) /* tokstream.c's limit on tags */

static int tm_header(struct wn_tokmap *m, const char *path, char *err, size_t errlen);
static void tm_ahead(struct wn_tokmap *m);

int wn_tokmap_open(struct wn_tokmap *m, const char *path, const void *map, size_t mapn, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	wn_tokstream_header_init(&m->h);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	(void)path, (void)map, (void)mapn, (void)err, (void)errlen;
	return 0;
#else
	if (!strcmp(path, "-"))
		return 0;
	if (map) {
		m->p = map;
		m->n = mapn;
		m->borrowed = 1;
		if (mapn < 12 || memcmp(m->p, WN_TOKSTREAM_MAGIC, 8)) {
			wn_tokmap_close(m);
			return 0;
		}
		return tm_header(m, path, err, errlen);
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size < 12) {
		if (fd >= 0)
			close(fd);
		return 0; /* the ordinary reader reports what is wrong */
	}
	void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 0;
	m->p = p;
	m->n = (size_t)sb.st_size;
	if (memcmp(m->p, WN_TOKSTREAM_MAGIC, 8)) { /* compressed, or not a stream */
		wn_tokmap_close(m);
		return 0;
	}
	madvise(p, m->n, MADV_SEQUENTIAL);
	return tm_header(m, path, err, errlen);
#endif
}

/* The header JSON is parsed by tokstream.c's own reader. */
static int tm_header(struct wn_tokmap *m, const char *path, char *err, size_t errlen)
{
	struct wn_reader *r = wn_reader_open(path, err, errlen);
	if (!r) {
		wn_tokmap_close(m);
		return -1;
	}
	struct wn_tokreader tr;
	int rc = wn_tokreader_open(&tr, r, err, errlen);
	m->name = wn_xstrdup(wn_reader_name(r));
	wn_reader_free(r);
	if (rc < 0) {
		wn_tokreader_release(&tr);
		wn_tokmap_close(m);
		return -1;
	}
	wn_tokstream_header_release(&m->h);
	m->h = tr.h; /* the reader's header (and its JSON) move here */
	m->pos = 12 + m->h.json.len;
	tm_ahead(m);
	return 1;
}

static int tm_truncated(struct wn_tokmap *m, const char *what, char *err, size_t errlen)
{
	return wn_err(err, errlen, "%s: truncated token stream (in %s after %" PRIu64 " documents)", m->name, what,
		      m->ndocs);
}

/* A tag in place (no copy: tags are read for every document). */
static int tm_tag(struct wn_tokmap *m, const char **p, uint32_t n, const char *what, char *err, size_t errlen)
{
	if (n > TM_MAX_TAG)
		return wn_err(err, errlen, "%s: corrupt token stream (%s of %" PRIu32 " bytes)", m->name, what, n);
	if (m->n - m->pos < n)
		return tm_truncated(m, what, err, errlen);
	*p = (const char *)m->p + m->pos;
	m->pos += n;
	return 0;
}

/* Map the file in 32 MiB steps ahead of the reader (one call instead of a
 * page fault per 16 pages), and hash what the reader has passed (see
 * hashjob_upto). Called after each document: the caller reads its ids
 * next, and they were mapped in by an earlier step. */
#define TM_STEP ((size_t)32 << 20)
#define TM_HASH_STEP ((size_t)256 << 10)
static void tm_ahead(struct wn_tokmap *m)
{
	if (m->hash && m->pos >= m->hash->hashed + TM_HASH_STEP)
		hashjob_upto(m->hash, m->pos & ~(TM_HASH_STEP - 1));
#ifdef MADV_POPULATE_READ
	if (m->pos + TM_STEP / 2 > m->populated && m->populated < m->n) {
		size_t to = WN_MIN(m->n, m->populated + TM_STEP);
		uintptr_t a = (uintptr_t)(m->p + m->populated) & ~(uintptr_t)4095;
		madvise((void *)a, (uintptr_t)(m->p + to) - a, MADV_POPULATE_READ);
		m->populated = to;
	}
#endif
}

int wn_tokmap_next(struct wn_tokmap *m, uint32_t *ntokens, const unsigned char **le32, char *err, size_t errlen)
{
	if (m->ended)
		return 0;
	if (m->n - m->pos < 4)
		return wn_err(err, errlen, "%s: truncated token stream (no trailer after %" PRIu64 " documents)", m->name,
			      m->ndocs);
	uint32_t n = wn_get_le32(m->p + m->pos);
	m->pos += 4;
	if (n == WN_TOKSTREAM_END) {
		if (m->n - m->pos < 16)
			return tm_truncated(m, "trailer", err, errlen);
		uint64_t nd = wn_get_le64(m->p + m->pos), nt = wn_get_le64(m->p + m->pos + 8);
		m->pos += 16;
		if (nd != m->ndocs || nt != m->ntokens)
			return wn_err(err, errlen,
				      "%s: token stream trailer says %" PRIu64 " documents / %" PRIu64
				      " tokens, read %" PRIu64 " / %" PRIu64,
				      m->name, nd, nt, m->ndocs, m->ntokens);
		m->ended = 1;
		return 0;
	}
	if (m->n - m->pos < 8)
		return tm_truncated(m, "document header", err, errlen);
	uint32_t sl = wn_get_le32(m->p + m->pos), il = wn_get_le32(m->p + m->pos + 4);
	m->pos += 8;
	if (tm_tag(m, &m->source, sl, "source tag", err, errlen) < 0 || tm_tag(m, &m->id, il, "document id", err, errlen) < 0)
		return -1;
	m->source_len = sl;
	m->id_len = il;
	if ((m->n - m->pos) / 4 < n)
		return tm_truncated(m, "tokens", err, errlen);
	*le32 = m->p + m->pos; /* in place, aligned or not (see shardfmt.h) */
	m->pos += (size_t)n * 4;
	*ntokens = n;
	tm_ahead(m);
	m->ndocs++;
	m->ntokens += n;
	return 1;
}

void wn_tokmap_hash(struct wn_tokmap *m, struct wn_inputs *x, int i)
{
	struct wn_hashjob *j = x->hj[i];
	if (m->p && m->borrowed && j && j->st && j->map == m->p)
		m->hash = j;
}

void wn_tokmap_close(struct wn_tokmap *m)
{
	if (m->p && !m->borrowed)
		munmap((void *)(uintptr_t)m->p, m->n);
	m->p = NULL;
	free(m->name);
	m->name = NULL;
	wn_tokstream_header_release(&m->h);
}
