/*
 * bpe_write.c -- tokenizer.json / .tiktoken / meta.json writers (see
 * bpe_write.h). JSON is built by hand into a wn_buf (strings escaped by
 * wn_json_str_encode) because the layout is fixed and a 200k-entry vocabulary
 * through a DOM would only cost time; the tests load the result with
 * jansson and with Hugging Face tokenizers.
 */
#include "bpe_write.h"

#include "bytelevel.h"
#include "hash.h"
#include "io.h"
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

uint32_t wn_bpe_out_id(const struct wn_bpe_model *m, int specials_last, uint32_t id)
{
	if (!specials_last)
		return id;
	size_t ns = m->nspecials;
	return id < ns ? (uint32_t)(m->ntok - ns + id) : (uint32_t)(id - ns);
}

/* A token as tokenizer.json spells it: specials verbatim, others in
 * byte-level characters. */
static void tok_text(const struct wn_bpe_model *m, uint32_t id, struct wn_buf *tmp)
{
	wn_buf_reset(tmp);
	if (m->special[id])
		wn_buf_add(tmp, m->bytes + m->off[id], m->len[id]);
	else
		wn_bytelevel_encode_str(m->bytes + m->off[id], m->len[id], tmp);
}

static void add_jstr(struct wn_buf *out, const char *s, size_t n)
{
	wn_json_str_encode(out, s, n);
}

/* Decimal digits of v appended to out (the vocabulary's 32k-200k ids:
 * snprintf per id was a tenth of the file's time). */
static void add_u64(struct wn_buf *out, uint64_t v)
{
	char d[20];
	int n = 0;
	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		wn_buf_addc(out, d[--n]);
}

/* tokenizer.json, with the unique merges u[0..nu) (wn_bpe_model_unique_merges). */
static void tokenizer_json(const struct wn_bpe_model *m, const struct wn_bpe_write_opts *o,
			   const struct wn_bpe_merge *u, size_t nu, struct wn_buf *out)
{
	struct wn_buf t = WN_BUF_INIT;
	int sl = o->specials_last;
	/* Every token's JSON string, made once: the vocabulary writes each
	 * token once and the merges twice each. esc holds them back to back,
	 * token i at eoff[i] .. eoff[i+1]. */
	struct wn_buf esc = WN_BUF_INIT;
	size_t *eoff = wn_xmalloc((m->ntok + 1) * sizeof(*eoff));
	for (size_t i = 0; i < m->ntok; i++) {
		eoff[i] = esc.len;
		tok_text(m, (uint32_t)i, &t);
		add_jstr(&esc, t.data, t.len);
	}
	eoff[m->ntok] = esc.len;
#define ADD_TOK(id) wn_buf_add(out, esc.data + eoff[id], eoff[(id) + 1] - eoff[id])
	wn_buf_adds(out, "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[");
	/* added_tokens in id order */
	int first = 1;
	for (size_t k = 0; k < m->ntok; k++) {
		/* with specials last, their ids are the highest: same relative order */
		uint32_t id = (uint32_t)k;
		if (!m->special[id])
			continue;
		wn_buf_addf(out, "%s{\"id\":%" PRIu32 ",\"content\":", first ? "" : ",", wn_bpe_out_id(m, sl, id));
		add_jstr(out, m->bytes + m->off[id], m->len[id]);
		wn_buf_adds(out, ",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,"
				 "\"special\":true}");
		first = 0;
	}
	wn_buf_adds(out, "],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":["
			 "{\"type\":\"Split\",\"pattern\":{\"Regex\":");
	add_jstr(out, o->pattern, strlen(o->pattern));
	wn_buf_adds(out, "},\"behavior\":\"Isolated\",\"invert\":false},"
			 "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":false}]},"
			 "\"post_processor\":null,"
			 "\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,"
			 "\"use_regex\":true},"
			 "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,"
			 "\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,\"fuse_unk\":false,"
			 "\"byte_fallback\":false,\"ignore_merges\":false,\"vocab\":{");
	/* vocab in output-id order */
	for (size_t k = 0; k < m->ntok; k++) {
		uint32_t id = (uint32_t)k;
		if (sl) /* output id k is internal id: */
			id = k < m->ntok - m->nspecials ? (uint32_t)(k + m->nspecials)
							 : (uint32_t)(k - (m->ntok - m->nspecials));
		if (k)
			wn_buf_addc(out, ',');
		ADD_TOK(id);
		wn_buf_addc(out, ':');
		add_u64(out, k);
	}
	wn_buf_adds(out, "},\"merges\":[");
	for (size_t i = 0; i < nu; i++) {
		wn_buf_adds(out, i ? ",[" : "[");
		ADD_TOK(u[i].a);
		wn_buf_addc(out, ',');
		ADD_TOK(u[i].b);
		wn_buf_addc(out, ']');
	}
#undef ADD_TOK
	wn_buf_adds(out, "]}}\n");
	wn_buf_release(&t);
	wn_buf_release(&esc);
	free(eoff);
}

void wn_bpe_tokenizer_json(const struct wn_bpe_model *m, const struct wn_bpe_write_opts *o, struct wn_buf *out)
{
	size_t nu;
	struct wn_bpe_merge *u = wn_bpe_model_unique_merges(m, &nu);
	tokenizer_json(m, o, u, nu, out);
	free(u);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void add_base64(struct wn_buf *out, const unsigned char *p, size_t n)
{
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63] };
		wn_buf_add(out, q, 4);
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], '=', '=' };
		wn_buf_add(out, q, 4);
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], '=' };
		wn_buf_add(out, q, 4);
	}
}

static void tiktoken_text(const struct wn_bpe_model *m, int sl, struct wn_buf *out)
{
	for (size_t k = 0; k < m->ntok; k++) {
		uint32_t id = (uint32_t)k;
		if (m->special[id])
			continue;
		add_base64(out, (const unsigned char *)m->bytes + m->off[id], m->len[id]);
		wn_buf_addf(out, " %" PRIu32 "\n", wn_bpe_out_id(m, sl, id));
	}
}

static int mkdir_p(const char *dir, char *err, size_t errlen)
{
	char *p = wn_xstrdup(dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			wn_err(err, errlen, "cannot create '%s': %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = 0;
	if (mkdir(p, 0777) < 0 && errno != EEXIST)
		rc = wn_err(err, errlen, "cannot create '%s': %s", p, strerror(errno));
	free(p);
	return rc;
}

int wn_bpe_write_dir(const struct wn_bpe_model *m, const struct wn_bpe_write_opts *o, const char *dir, char *err,
		     size_t errlen)
{
	if (mkdir_p(dir, err, errlen) < 0)
		return -1;
	struct wn_buf b = WN_BUF_INIT, path = WN_BUF_INIT;
	int rc = -1;
	char hash[65];

	size_t nu;
	struct wn_bpe_merge *u = wn_bpe_model_unique_merges(m, &nu);
	tokenizer_json(m, o, u, nu, &b);
	free(u);
	wn_sha256_hex(b.data, b.len, hash);
	wn_buf_addf(&path, "%s/tokenizer.json", dir);
	if (wn_write_file_atomic(path.data, b.data, b.len, err, errlen) < 0)
		goto out;

	wn_buf_reset(&b);
	tiktoken_text(m, o->specials_last, &b);
	wn_buf_reset(&path);
	wn_buf_addf(&path, "%s/tokenizer.tiktoken", dir);
	if (wn_write_file_atomic(path.data, b.data, b.len, err, errlen) < 0)
		goto out;

	/* meta.json last: its presence means the directory is complete */
	wn_buf_reset(&b);
	wn_buf_adds(&b, "{\"format\":\"winnow-bpe\",\"version\":1,\"pattern\":");
	add_jstr(&b, o->pattern, strlen(o->pattern));
	wn_buf_adds(&b, ",\"pattern_name\":");
	if (o->pattern_name)
		add_jstr(&b, o->pattern_name, strlen(o->pattern_name));
	else
		wn_buf_adds(&b, "null");
	wn_buf_addf(&b, ",\"vocab_size\":%zu,\"specials\":{", m->ntok);
	int first = 1;
	for (size_t k = 0; k < m->ntok; k++) {
		if (!m->special[k])
			continue;
		if (!first)
			wn_buf_addc(&b, ',');
		add_jstr(&b, m->bytes + m->off[k], m->len[k]);
		wn_buf_addf(&b, ":%" PRIu32, wn_bpe_out_id(m, o->specials_last, (uint32_t)k));
		first = 0;
	}
	wn_buf_addf(&b,
		    "},\"id_order\":\"%s\",\"alphabet\":\"%s\",\"merges\":%zu,\"vocab_size_requested\":%zu,"
		    "\"min_frequency\":%" PRIu64 ",\"training\":{\"docs\":%" PRIu64 ",\"bytes\":%" PRIu64
		    ",\"distinct_pieces\":%" PRIu64 "},\"hash\":\"%s\"}\n",
		    o->specials_last ? "specials-last" : "specials-first", o->all_bytes ? "all-bytes" : "seen", nu,
		    o->vocab_size_requested, o->min_frequency, o->docs, o->bytes, m->npieces,
		    hash);
	wn_buf_reset(&path);
	wn_buf_addf(&path, "%s/tokenizer.meta.json", dir);
	if (wn_write_file_atomic(path.data, b.data, b.len, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	wn_buf_release(&b);
	wn_buf_release(&path);
	return rc;
}
