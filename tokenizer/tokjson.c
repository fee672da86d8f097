/*
 * tokjson.c -- tokenizer.json loader over jansson (see tokjson.h).
 */
#include "io.h"
#include "tokjson.h"
#include "bytelevel.h"
#include "hash.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int jtrue(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static int empty_or_null(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v));
}

/* The ByteLevel step must only map bytes: no prefix space, (no regex). */
static int check_bytelevel(const json_t *p, int want_regex, const char *name, char *err, size_t errlen)
{
	if (jtrue(p, "add_prefix_space"))
		return wn_err(err, errlen, "%s: ByteLevel pre-tokenizer with add_prefix_space=true is not supported",
			      name);
	const json_t *ur = json_object_get(p, "use_regex");
	int use_regex = ur ? json_is_true(ur) : 1; /* HF's default is true */
	if (use_regex != want_regex)
		return wn_err(err, errlen, "%s: ByteLevel pre-tokenizer with use_regex=%s is not supported here", name,
			      use_regex ? "true" : "false");
	return 0;
}

/* Escape a literal for PCRE2. */
static void quote_regex(const char *s, struct wn_buf *out)
{
	for (; *s; s++) {
		if (strchr("\\^$.|?*+()[]{}", *s))
			wn_buf_addc(out, '\\');
		wn_buf_addc(out, *s);
	}
}

/* Work out the pre-tokenizer. Fills pattern and *flags (pretok flags). */
static int pretok_of(const json_t *root, const char *name, struct wn_buf *pattern, unsigned *flags, char *err,
		     size_t errlen)
{
	const json_t *p = json_object_get(root, "pre_tokenizer");
	const char *type = p ? jstr(p, "type") : NULL;
	if (!p || json_is_null(p))
		return wn_err(err, errlen, "%s: no pre_tokenizer: not a byte-level BPE tokenizer", name);
	if (type && !strcmp(type, "ByteLevel")) {
		if (check_bytelevel(p, 1, name, err, errlen) < 0)
			return -1;
		wn_buf_adds(pattern, "gpt2");
		return 0;
	}
	if (!type || strcmp(type, "Sequence"))
		return wn_err(err, errlen, "%s: pre_tokenizer '%s' is not supported (byte-level BPE needs Split + ByteLevel "
			      "or ByteLevel)", name, type ? type : "?");
	const json_t *seq = json_object_get(p, "pretokenizers");
	if (!json_is_array(seq) || json_array_size(seq) != 2)
		return wn_err(err, errlen, "%s: pre_tokenizer Sequence must be [Split, ByteLevel]", name);
	const json_t *sp = json_array_get(seq, 0), *bl = json_array_get(seq, 1);
	const char *t0 = jstr(sp, "type"), *t1 = jstr(bl, "type");
	if (!t0 || strcmp(t0, "Split") || !t1 || strcmp(t1, "ByteLevel"))
		return wn_err(err, errlen, "%s: pre_tokenizer Sequence [%s, %s] is not supported (need [Split, ByteLevel])",
			      name, t0 ? t0 : "?", t1 ? t1 : "?");
	if (check_bytelevel(bl, 0, name, err, errlen) < 0)
		return -1;
	const json_t *pat = json_object_get(sp, "pattern");
	const char *rx = jstr(pat, "Regex"), *lit = jstr(pat, "String");
	if (rx)
		wn_buf_adds(pattern, rx);
	else if (lit && *lit)
		quote_regex(lit, pattern);
	else
		return wn_err(err, errlen, "%s: Split pre-tokenizer without a pattern", name);
	const char *beh = jstr(sp, "behavior");
	int invert = jtrue(sp, "invert");
	if (beh && !strcmp(beh, "Isolated") && !invert)
		*flags = 0;
	else if (beh && !strcmp(beh, "Removed") && invert)
		*flags = WN_PRETOK_DROP_GAPS;
	else
		return wn_err(err, errlen, "%s: Split behavior '%s' with invert=%s is not supported", name,
			      beh ? beh : "?", invert ? "true" : "false");
	return 0;
}

static int check_model(const json_t *root, const json_t *m, const char *name, char *err, size_t errlen)
{
	const char *type = jstr(m, "type");
	if (type && strcmp(type, "BPE"))
		return wn_err(err, errlen, "%s: model type '%s' is not supported (only byte-level BPE)", name, type);
	if (!json_is_object(json_object_get(m, "vocab")) || !json_is_array(json_object_get(m, "merges")))
		return wn_err(err, errlen, "%s: model has no BPE vocab and merges", name);
	const json_t *d = json_object_get(m, "dropout");
	if (d && !json_is_null(d) && !(json_is_number(d) && json_number_value(d) == 0))
		return wn_err(err, errlen, "%s: BPE dropout is not supported (encoding would not be deterministic)", name);
	if (!empty_or_null(m, "continuing_subword_prefix") || !empty_or_null(m, "end_of_word_suffix"))
		return wn_err(err, errlen, "%s: BPE with a subword prefix/suffix is not byte-level BPE", name);
	if (jtrue(m, "byte_fallback"))
		return wn_err(err, errlen, "%s: BPE with byte_fallback is not byte-level BPE", name);
	const json_t *norm = json_object_get(root, "normalizer");
	if (norm && !json_is_null(norm)) {
		const char *nt = jstr(norm, "type");
		const json_t *ns = json_object_get(norm, "normalizers");
		if (!(nt && !strcmp(nt, "Sequence") && json_is_array(ns) && json_array_size(ns) == 0))
			return wn_err(err, errlen, "%s: normalizer '%s' is not implemented", name, nt ? nt : "?");
	}
	const json_t *dec = json_object_get(root, "decoder");
	if (dec && !json_is_null(dec)) {
		const char *dt = jstr(dec, "type");
		if (!dt || strcmp(dt, "ByteLevel"))
			return wn_err(err, errlen, "%s: decoder '%s' is not supported (need ByteLevel)", name,
				      dt ? dt : "?");
	}
	return 0;
}

struct wn_bpe *wn_tokjson_parse(const char *data, size_t n, const char *name, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(data, n, 0, &je);
	if (!root) {
		wn_err(err, errlen, "%s:%d: invalid JSON: %s", name, je.line, je.text);
		return NULL;
	}
	struct wn_bpe *b = NULL;
	struct wn_buf pat = WN_BUF_INIT, tok = WN_BUF_INIT;
	char e2[256];
	const json_t *m = json_object_get(root, "model");
	unsigned pflags = 0;
	if (!json_is_object(m)) {
		wn_err(err, errlen, "%s: no model", name);
		goto out;
	}
	if (check_model(root, m, name, err, errlen) < 0 || pretok_of(root, name, &pat, &pflags, err, errlen) < 0)
		goto out;
	struct wn_pretok *pt = wn_pretok_new_flags(pat.data, pflags, e2, sizeof e2);
	if (!pt) {
		wn_err(err, errlen, "%s: %s", name, e2);
		goto out;
	}
	b = wn_bpe_new(jtrue(m, "ignore_merges") ? WN_BPE_WHOLE_LOOKUP : 0);
	wn_bpe_set_pretok(b, pt);

	/* added tokens first: their ids are taken out of the vocab */
	const json_t *added = json_object_get(root, "added_tokens");
	size_t i;
	const json_t *a;
	json_array_foreach(added, i, a) {
		const char *c = jstr(a, "content");
		const json_t *id = json_object_get(a, "id");
		if (!c || !json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) >= WN_BPE_NONE) {
			wn_err(err, errlen, "%s: added_tokens[%zu] needs content and id", name, i);
			goto fail;
		}
		if (wn_bpe_add_special(b, (uint32_t)json_integer_value(id), c, e2, sizeof e2) < 0) {
			wn_err(err, errlen, "%s: added token '%s': %s", name, c, e2);
			goto fail;
		}
	}
	const json_t *vocab = json_object_get(m, "vocab");
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)vocab, key, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= WN_BPE_NONE) {
			wn_err(err, errlen, "%s: vocab entry '%s' has no valid id", name, key);
			goto fail;
		}
		uint32_t id = (uint32_t)json_integer_value(v);
		size_t sn;
		const char *sb = wn_bpe_token_bytes(b, id, &sn);
		if (sb && sn == strlen(key) && !memcmp(sb, key, sn))
			continue; /* the vocab entry of an added token */
		wn_buf_reset(&tok);
		if (wn_bytelevel_decode(key, strlen(key), &tok) <= 0) {
			wn_err(err, errlen, "%s: vocab entry '%s' is not a byte-level token: not a byte-level BPE tokenizer",
			       name, key);
			goto fail;
		}
		if (wn_bpe_add_token(b, id, tok.data, tok.len, e2, sizeof e2) < 0) {
			wn_err(err, errlen, "%s: vocab entry '%s': %s", name, key, e2);
			goto fail;
		}
	}
	const json_t *merges = json_object_get(m, "merges");
	json_array_foreach(merges, i, a) {
		const char *l = NULL, *r = NULL;
		char *tmp = NULL;
		if (json_is_string(a)) {
			const char *s = json_string_value(a);
			const char *sp = strchr(s + (*s == ' '), ' ');
			if (sp) {
				tmp = wn_xstrndup(s, (size_t)(sp - s));
				l = tmp;
				r = sp + 1;
			}
		} else if (json_is_array(a) && json_array_size(a) == 2) {
			l = json_string_value(json_array_get(a, 0));
			r = json_string_value(json_array_get(a, 1));
		}
		const json_t *li = l ? json_object_get(vocab, l) : NULL, *ri = r ? json_object_get(vocab, r) : NULL;
		int bad = !li || !ri;
		if (bad)
			wn_err(err, errlen, "%s: merges[%zu] is not a pair of vocab tokens", name, i);
		free(tmp);
		if (bad)
			goto fail;
		if (wn_bpe_add_merge(b, (uint32_t)i, (uint32_t)json_integer_value(li), (uint32_t)json_integer_value(ri), e2,
				     sizeof e2) < 0) {
			wn_err(err, errlen, "%s: %s", name, e2);
			goto fail;
		}
	}
	char hex[65];
	wn_sha256_hex(data, n, hex);
	wn_bpe_set_hash(b, hex);
	if (wn_bpe_finish(b, err, errlen) < 0)
		goto fail;
	goto out;
fail:
	wn_bpe_free(b);
	b = NULL;
out:
	json_decref(root);
	wn_buf_release(&pat);
	wn_buf_release(&tok);
	return b;
}

struct wn_bpe *wn_tokjson_load(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	struct wn_buf p = WN_BUF_INIT;
	wn_buf_adds(&p, path);
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		wn_buf_adds(&p, "/tokenizer.json");
	struct wn_buf d = WN_BUF_INIT;
	struct wn_bpe *b = NULL;
	if (wn_read_file(p.data, &d, err, errlen) == 0)
		b = wn_tokjson_parse(d.data, d.len, p.data, err, errlen);
	wn_buf_release(&d);
	wn_buf_release(&p);
	return b;
}
