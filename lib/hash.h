/*
 * hash.h -- cryptographic digests through OpenSSL's libcrypto (SHA-1 for
 * WARC digests, SHA-256 for shard checksums and tokenizer hashes), and a
 * fast non-cryptographic 64-bit hash for hash tables.
 *
 * Ownership: a wn_sha256 context is a plain value owned by its caller;
 * wn_sha256_final releases the library state.
 */
#ifndef WN_HASH_H
#define WN_HASH_H

#include "wn.h"

struct wn_sha256 {
	void *ctx; /* EVP_MD_CTX */
};

void wn_sha256_init(struct wn_sha256 *h);
void wn_sha256_update(struct wn_sha256 *h, const void *p, size_t n);
/* Writes 64 hex digits and a NUL into hex[65]; releases the context. */
void wn_sha256_final(struct wn_sha256 *h, char hex[65]);
/* One-shot helpers. */
void wn_sha256_hex(const void *p, size_t n, char hex[65]);
void wn_sha1_raw(const void *p, size_t n, unsigned char out[20]);
/* SHA-256 of a whole file, streamed. Returns 0 or -1 (err filled). */
int wn_sha256_file(const char *path, char hex[65], uint64_t *size, char *err, size_t errlen);

/* 64-bit non-cryptographic hash (wyhash-style mixing; not for adversarial keys
 * unless seeded). */
uint64_t wn_hash64(const void *p, size_t n, uint64_t seed);

#endif
