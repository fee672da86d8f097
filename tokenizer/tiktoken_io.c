/*
 * tiktoken_io.c -- .tiktoken ranks loader (see tiktoken_io.h).
 */
#include "io.h"
#include "tiktoken_io.h"
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 with '=' padding (or none). Returns 0 or -1. */
static int b64decode(const char *s, size_t n, struct wn_buf *out)
{
	while (n && s[n - 1] == '=')
		n--;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			wn_buf_addc(out, (char)(acc >> bits));
			acc &= (1u << bits) - 1;
		}
	}
	return bits >= 6 ? -1 : 0;
}

struct stdspecial {
	const char *pattern;
	uint32_t nranks;
	const char *text;
	uint32_t id;
};

static const struct stdspecial stdspecials[] = {
	{ "gpt2", 50256, "<|endoftext|>", 50256 },
	{ "cl100k", 100256, "<|endoftext|>", 100257 },
	{ "cl100k", 100256, "<|fim_prefix|>", 100258 },
	{ "cl100k", 100256, "<|fim_middle|>", 100259 },
	{ "cl100k", 100256, "<|fim_suffix|>", 100260 },
	{ "cl100k", 100256, "<|endofprompt|>", 100276 },
	{ "o200k", 199998, "<|endoftext|>", 199999 },
	{ "o200k", 199998, "<|endofprompt|>", 200018 },
};

struct wn_bpe *wn_tiktoken_parse(const char *data, size_t n, const char *name, const char *pattern, char *err,
				 size_t errlen)
{
	struct wn_pretok *pt = wn_pretok_new(pattern, err, errlen);
	if (!pt)
		return NULL;
	struct wn_bpe *b = wn_bpe_new(WN_BPE_WHOLE_LOOKUP);
	wn_bpe_set_pretok(b, pt);
	struct wn_buf tok = WN_BUF_INIT;
	char e2[256];
	size_t lineno = 0;
	uint32_t nranks = 0;
	for (size_t pos = 0; pos < n;) {
		const char *nl = memchr(data + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - data) : n, ll = end - pos;
		const char *line = data + pos;
		pos = end + 1;
		lineno++;
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (!ll)
			continue;
		const char *sp = memchr(line, ' ', ll);
		char *ep;
		wn_buf_reset(&tok);
		if (!sp || b64decode(line, (size_t)(sp - line), &tok) < 0 || !tok.len) {
			wn_err(err, errlen, "%s:%zu: expected 'BASE64 RANK'", name, lineno);
			goto fail;
		}
		char num[24];
		size_t nl2 = ll - (size_t)(sp + 1 - line);
		if (nl2 == 0 || nl2 >= sizeof num) {
			wn_err(err, errlen, "%s:%zu: bad rank", name, lineno);
			goto fail;
		}
		memcpy(num, sp + 1, nl2);
		num[nl2] = 0;
		errno = 0;
		unsigned long long r = strtoull(num, &ep, 10);
		if (*ep || errno || r >= WN_BPE_NONE || num[0] < '0' || num[0] > '9') {
			wn_err(err, errlen, "%s:%zu: bad rank '%s'", name, lineno, num);
			goto fail;
		}
		if (wn_bpe_add_token(b, (uint32_t)r, tok.data, tok.len, e2, sizeof e2) < 0) {
			wn_err(err, errlen, "%s:%zu: %s", name, lineno, e2);
			goto fail;
		}
		nranks++;
	}
	const char *pname = wn_pretok_name(pt);
	if (pname && !strcmp(pname, "cl100k-py"))
		pname = "cl100k";
	for (size_t i = 0; pname && i < WN_ARRAY_SIZE(stdspecials); i++) {
		const struct stdspecial *s = &stdspecials[i];
		if (!strcmp(s->pattern, pname) && s->nranks == nranks &&
		    wn_bpe_add_special(b, s->id, s->text, e2, sizeof e2) < 0) {
			wn_err(err, errlen, "%s: special %s: %s", name, s->text, e2);
			goto fail;
		}
	}
	wn_bpe_derive_merges(b);
	struct wn_sha256 h;
	char hex[65];
	wn_sha256_init(&h);
	wn_sha256_update(&h, data, n);
	wn_sha256_update(&h, "\n", 1);
	wn_sha256_update(&h, wn_pretok_pattern(pt), strlen(wn_pretok_pattern(pt)));
	wn_sha256_final(&h, hex);
	wn_bpe_set_hash(b, hex);
	wn_buf_release(&tok);
	if (wn_bpe_finish(b, err, errlen) < 0) {
		wn_bpe_free(b);
		return NULL;
	}
	return b;
fail:
	wn_buf_release(&tok);
	wn_bpe_free(b);
	return NULL;
}

struct wn_bpe *wn_tiktoken_load(const char *path, const char *pattern, char *err, size_t errlen)
{
	struct wn_buf d = WN_BUF_INIT;
	if (wn_read_file(path, &d, err, errlen) < 0) {
		wn_buf_release(&d);
		return NULL;
	}
	struct wn_bpe *b = wn_tiktoken_parse(d.data, d.len, path, pattern, err, errlen);
	wn_buf_release(&d);
	return b;
}
