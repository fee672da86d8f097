/*
 * wn.h -- the few things every winnow source file needs: allocation that
 * cannot fail, a BUG() for broken invariants, and small helpers.
 *
 * Rules of the library (lib/, tokenizer/, filters/):
 *  - never call exit(); return 0 / negative and fill a caller's error buffer
 *    (char *err, size_t errlen); stages decide what to do.
 *  - allocation failure is not an error path: wn_xmalloc() and friends print
 *    one line and abort(), so call sites need no NULL checks.
 *  - parameters are borrowed; what a function keeps, it copies. Transfers of
 *    ownership have names (_detach, _take) and say so in the header.
 */
#ifndef WN_H
#define WN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define WN_UNUSED(x) ((void)(x))
#define WN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define WN_MAX(a, b) ((a) > (b) ? (a) : (b))

#if defined(__GNUC__)
#define WN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WN_LIKELY(x) __builtin_expect(!!(x), 1)
#define WN_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define WN_PRINTF(f, a)
#define WN_LIKELY(x) (x)
#define WN_UNLIKELY(x) (x)
#endif

void *wn_xmalloc(size_t n);
void *wn_xcalloc(size_t n, size_t size);
void *wn_xrealloc(void *p, size_t n);
char *wn_xstrdup(const char *s);
char *wn_xstrndup(const char *s, size_t n);

/* Grow *p (an array of *cap elements of elsize bytes) to hold at least need. */
void wn_grow(void **p, size_t *cap, size_t need, size_t elsize);
#define WN_GROW(p, cap, need) wn_grow((void **)&(p), &(cap), (need), sizeof(*(p)))

/* A broken invariant: prints file:line and the message, then aborts. */
#define BUG(...) wn_bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void wn_bug(const char *file, int line, const char *fmt, ...) WN_PRINTF(3, 4);

/* snprintf into a caller's error buffer (err may be NULL); returns -1 so
 * library code can write `return wn_err(err, errlen, "...")`. */
int wn_err(char *err, size_t errlen, const char *fmt, ...) WN_PRINTF(3, 4);

/* Monotonic seconds. */
double wn_now(void);

/* Little-endian loads/stores (formats we write are little-endian). */
static inline void wn_put_le32(unsigned char *p, uint32_t v)
{ p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }
static inline void wn_put_le64(unsigned char *p, uint64_t v)
{ wn_put_le32(p, (uint32_t)v); wn_put_le32(p + 4, (uint32_t)(v >> 32)); }
static inline uint32_t wn_get_le32(const unsigned char *p)
{ return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint64_t wn_get_le64(const unsigned char *p)
{ return wn_get_le32(p) | (uint64_t)wn_get_le32(p + 4) << 32; }

#endif
