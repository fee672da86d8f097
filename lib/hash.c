/* hash.c -- digests via libcrypto, and a fast 64-bit hash. */
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

static void to_hex(const unsigned char *d, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

void wn_sha256_init(struct wn_sha256 *h)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		BUG("EVP sha256 init failed");
	h->ctx = c;
}

void wn_sha256_update(struct wn_sha256 *h, const void *p, size_t n)
{
	if (n && EVP_DigestUpdate(h->ctx, p, n) != 1)
		BUG("EVP sha256 update failed");
}

void wn_sha256_final(struct wn_sha256 *h, char hex[65])
{
	unsigned char d[32];
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(h->ctx, d, &n) != 1 || n != 32)
		BUG("EVP sha256 final failed");
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	to_hex(d, 32, hex);
}

void wn_sha256_hex(const void *p, size_t n, char hex[65])
{
	struct wn_sha256 h;
	wn_sha256_init(&h);
	wn_sha256_update(&h, p, n);
	wn_sha256_final(&h, hex);
}

void wn_sha1_raw(const void *p, size_t n, unsigned char out[20])
{
	unsigned int len = 0;
	if (EVP_Digest(p, n, out, &len, EVP_sha1(), NULL) != 1 || len != 20)
		BUG("EVP sha1 failed");
}

int wn_sha256_file(const char *path, char hex[65], uint64_t *size, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return wn_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
	struct wn_sha256 h;
	wn_sha256_init(&h);
	static __thread unsigned char buf[1 << 16];
	uint64_t total = 0;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			wn_sha256_final(&h, hex);
			return wn_err(err, errlen, "cannot read '%s': %s", path, strerror(e));
		}
		if (r == 0)
			break;
		wn_sha256_update(&h, buf, (size_t)r);
		total += (uint64_t)r;
	}
	close(fd);
	wn_sha256_final(&h, hex);
	if (size)
		*size = total;
	return 0;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

uint64_t wn_hash64(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data;
	const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull;
	uint64_t h = seed ^ mix(seed ^ k0, k1) ^ n;
	while (n >= 16) {
		h = mix(rd64(p) ^ k1, rd64(p + 8) ^ h);
		p += 16;
		n -= 16;
	}
	uint64_t a = 0, b = 0;
	if (n >= 8) {
		a = rd64(p);
		b = rd64(p + n - 8);
	} else if (n > 0) {
		for (size_t i = 0; i < n; i++)
			a = a << 8 | p[i];
		b = p[n / 2];
	}
	return mix(k2 ^ n, mix(a ^ k1, b ^ h));
}
