/*
 * winnow-tokenize -- JSONL documents -> token stream (tokenizer/tokstream.h)
 * or {"id","tokens"} JSONL; --decode turns a token stream back into JSONL.
 * The encoder is tokenizer/bpe.h; -j N encodes batches on N threads
 * (tokenizer/encpool.h) and writes them in input order.
 */
#include "stage.h"
#include "encpool.h"
#include "tiktoken_io.h"
#include "tokjson.h"
#include "tokstream.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

enum { O_TOKENIZER = 256, O_TIKTOKEN, O_PATTERN, O_SPECIAL, O_EOS, O_EOS_ID, O_BOS, O_BOS_ID, O_PAD_ID, O_SOURCE,
       O_EMIT, O_DECODE };

static const struct option longopts[] = {
	{ "tokenizer", required_argument, NULL, O_TOKENIZER }, { "tiktoken", required_argument, NULL, O_TIKTOKEN },
	{ "pattern", required_argument, NULL, O_PATTERN },     { "special", required_argument, NULL, O_SPECIAL },
	{ "eos", required_argument, NULL, O_EOS },             { "eos-id", required_argument, NULL, O_EOS_ID },
	{ "bos", no_argument, NULL, O_BOS },                   { "bos-id", required_argument, NULL, O_BOS_ID },
	{ "pad-id", required_argument, NULL, O_PAD_ID },       { "source", required_argument, NULL, O_SOURCE },
	{ "emit", required_argument, NULL, O_EMIT },           { "decode", no_argument, NULL, O_DECODE },
	{ 0 },
};

struct ctx {
	const char *tokenizer, *tiktoken, *pattern, *special, *eos, *source, *emit;
	int64_t eos_id, bos_id, pad_id;
	int bos, decode, jsonl;
	uint64_t ntokens; /* tokens written, for --stats */
};

static int parse_id(const char *arg, int64_t *out)
{
	char *e;
	errno = 0;
	long long v = strtoll(arg, &e, 10);
	if (*e || errno || v < 0 || v >= WN_BPE_NONE)
		return -1;
	*out = v;
	return 0;
}

static int on_option(struct wn_stage *st, int c, const char *arg)
{
	struct ctx *x = st->ctx;
	int64_t *idp = c == O_EOS_ID ? &x->eos_id : c == O_BOS_ID ? &x->bos_id : &x->pad_id;
	switch (c) {
	case O_TOKENIZER: x->tokenizer = arg; return 0;
	case O_TIKTOKEN: x->tiktoken = arg; return 0;
	case O_PATTERN: x->pattern = arg; return 0;
	case O_SPECIAL: x->special = arg; return 0;
	case O_EOS: x->eos = arg; return 0;
	case O_BOS: x->bos = 1; return 0;
	case O_SOURCE: x->source = arg; return 0;
	case O_DECODE: x->decode = 1; return 0;
	case O_EMIT:
		x->jsonl = !strcmp(arg, "jsonl");
		if (x->jsonl || !strcmp(arg, "stream"))
			return 0;
		wn_stage_warn(st, "--emit takes 'stream' or 'jsonl', not '%s'", arg);
		return -1;
	case O_EOS_ID: case O_BOS_ID: case O_PAD_ID:
		if (parse_id(arg, idp) == 0)
			return 0;
		wn_stage_warn(st, "bad token id '%s'", arg);
		return -1;
	}
	return -1;
}

static const struct wn_stage_def def = {
	.name = "tokenize",
	.summary = "Encode JSONL documents with a byte-level BPE tokenizer into the token stream (or JSONL ids).",
	.usage = "(--tokenizer DIR|tokenizer.json | --tiktoken FILE --pattern P) [OPTIONS] [FILE...]",
	.options_help = "  --tokenizer PATH     Hugging Face tokenizer.json (or a directory holding one)\n"
			"  --tiktoken FILE      .tiktoken ranks file, with --pattern gpt2|cl100k|cl100k-py|o200k|REGEX\n"
			"  --special LIST       extra special tokens 'TEXT[=ID],...' (never produced from text)\n"
			"  --eos TEXT|none      EOS token by text (default <|endoftext|>), or none\n"
			"  --eos-id/--bos-id/--pad-id N   token ids (override the tokenizer's)\n"
			"  --bos                put BOS before every document\n"
			"  --source TAG         source tag for records without 'source'\n"
			"  --emit stream|jsonl  token stream (default) or {\"id\",\"tokens\"} lines\n"
			"  --decode             read token streams, write {\"id\",\"source\",\"text\"} JSONL\n",
	.longopts = longopts,
	.on_option = on_option,
	.has_threads = 1,
};

/* Load the model and add --special tokens. */
static struct wn_bpe *load(struct wn_stage *st, struct ctx *x)
{
	char err[512];
	struct wn_bpe *b = NULL;
	if (!!x->tokenizer == !!x->tiktoken) {
		wn_stage_warn(st, "give one of --tokenizer PATH or --tiktoken FILE --pattern P");
		return NULL;
	}
	if (x->tokenizer && x->pattern) {
		wn_stage_warn(st, "--pattern goes with --tiktoken (a tokenizer.json carries its own pre-tokenizer)");
		return NULL;
	}
	if (x->tiktoken && !x->pattern) {
		wn_stage_warn(st, "--tiktoken needs --pattern gpt2|cl100k|cl100k-py|o200k|REGEX");
		return NULL;
	}
	b = x->tokenizer ? wn_tokjson_load(x->tokenizer, err, sizeof err)
			 : wn_tiktoken_load(x->tiktoken, x->pattern, err, sizeof err);
	if (!b) {
		wn_stage_warn(st, "%s", err);
		return NULL;
	}
	if (wn_bpe_add_special_list(b, x->special, err, sizeof err) < 0) {
		wn_stage_warn(st, "--special: %s", err);
		wn_bpe_free(b);
		return NULL;
	}
	return b;
}

/* Resolve EOS/BOS/PAD: flags first, then the tokenizer's specials. */
static int resolve_ids(struct wn_stage *st, struct ctx *x, const struct wn_bpe *b)
{
	if (x->eos_id < 0 && !(x->eos && !strcmp(x->eos, "none"))) {
		uint32_t id = wn_bpe_special_id(b, x->eos ? x->eos : "<|endoftext|>");
		if (id == WN_BPE_NONE) {
			wn_stage_warn(st, "no EOS token '%s' in the tokenizer: give --eos-id N or --eos none",
				      x->eos ? x->eos : "<|endoftext|>");
			return -1;
		}
		x->eos_id = id;
	}
	if (x->bos && x->bos_id < 0) {
		static const char *names[] = { "<|begin_of_text|>", "<|startoftext|>", "<s>", "<|bos|>" };
		for (size_t i = 0; i < WN_ARRAY_SIZE(names) && x->bos_id < 0; i++)
			if (wn_bpe_special_id(b, names[i]) != WN_BPE_NONE)
				x->bos_id = wn_bpe_special_id(b, names[i]);
		if (x->bos_id < 0) {
			wn_stage_warn(st, "--bos: the tokenizer has no BOS token: give --bos-id N");
			return -1;
		}
	}
	if (x->pad_id < 0 && wn_bpe_special_id(b, "<|pad|>") != WN_BPE_NONE)
		x->pad_id = wn_bpe_special_id(b, "<|pad|>");
	return 0;
}

/* Write one finished batch: documents in order, bad ones reported. */
static void write_batch(struct wn_stage *st, struct ctx *x, struct wn_tokwriter *tw, struct wn_encbatch *b,
			struct wn_buf *line)
{
	for (size_t i = 0; i < b->n && !st->pipe_closed && !st->fatal; i++) {
		const struct wn_encdoc *d = &b->docs[i];
		const char *data = b->data.data;
		if (d->err >= 0) {
			char where[48];
			snprintf(where, sizeof where, "line %" PRIu64, d->lineno);
			wn_stage_bad(st, where, data + d->line, d->linelen, "%s", b->errs.data + d->err);
			continue;
		}
		const uint32_t *t = b->toks.v + d->tok;
		x->ntokens += d->ntok;
		if (x->jsonl) {
			wn_buf_reset(line);
			wn_buf_adds(line, "{\"id\":");
			wn_buf_add(line, data + d->id, d->idlen);
			wn_buf_adds(line, ",\"tokens\":[");
			for (size_t k = 0; k < d->ntok; k++)
				wn_buf_addf(line, k ? ",%" PRIu32 : "%" PRIu32, t[k]);
			wn_buf_adds(line, "]}\n");
			wn_stage_emit(st, line->data, line->len);
			continue;
		}
		if (wn_tokwriter_doc(tw, t, d->ntok, data + d->src, d->srclen, data + d->id, d->idlen) < 0) {
			if (errno == EPIPE)
				st->pipe_closed = 1;
			else
				wn_stage_fail(st, "%s", wn_writer_error(st->out));
			return;
		}
		wn_stage_count_out(st, 12 + d->srclen + d->idlen + 4 * (uint64_t)d->ntok);
	}
}

static int encode(struct wn_stage *st, struct ctx *x, const struct wn_bpe *bpe)
{
	struct wn_tokwriter tw;
	if (!x->jsonl) {
		struct wn_tokstream_header h;
		wn_tokstream_header_init(&h);
		h.vocab_size = wn_bpe_vocab_size(bpe);
		snprintf(h.tokenizer_hash, sizeof h.tokenizer_hash, "%s", wn_bpe_hash(bpe));
		h.eos_id = x->eos_id;
		h.bos_id = x->bos_id;
		h.pad_id = x->pad_id;
		struct wn_buf extra = WN_BUF_INIT;
		wn_buf_adds(&extra, "\"tokenizer\":");
		const char *tn = x->tokenizer ? x->tokenizer : x->tiktoken;
		wn_json_str_encode(&extra, tn, strlen(tn));
		wn_buf_adds(&extra, ",\"pattern\":");
		wn_json_str_encode(&extra, wn_pretok_pattern(wn_bpe_pretok(bpe)), strlen(wn_pretok_pattern(wn_bpe_pretok(bpe))));
		int rc = wn_tokwriter_start(&tw, st->out, &h, extra.data, st->err, sizeof st->err);
		wn_buf_release(&extra);
		wn_tokstream_header_release(&h);
		if (rc < 0)
			return wn_stage_fail(st, "%s", st->err);
	}
	struct wn_encpool *pool = wn_encpool_new(bpe, st->threads, x->bos_id >= 0 ? (uint32_t)x->bos_id : WN_BPE_NONE,
						 x->eos_id >= 0 ? (uint32_t)x->eos_id : WN_BPE_NONE);
	struct wn_rec rec;
	struct wn_buf text = WN_BUF_INIT, src = WN_BUF_INIT, id = WN_BUF_INIT, line = WN_BUF_INIT;
	wn_rec_init(&rec);
	struct wn_encbatch *b = wn_encpool_get(pool), *done;
	while (wn_stage_next(st, &rec) > 0) {
		if (wn_rec_get_str(&rec, "text", &text) != 1) {
			char where[48];
			snprintf(where, sizeof where, "line %" PRIu64, st->cur_line);
			if (wn_stage_bad(st, where, rec.line, rec.len, "record has no string 'text'") < 0)
				break;
			continue;
		}
		if (wn_rec_get_str(&rec, "source", &src) != 1) {
			wn_buf_reset(&src);
			if (x->source)
				wn_buf_adds(&src, x->source);
		}
		const struct wn_jmember *im = wn_rec_get(&rec, "id");
		/* the stream carries the id as text; --emit jsonl copies the
		 * raw JSON value, so numeric ids stay numbers */
		wn_buf_reset(&id);
		if (x->jsonl && im)
			wn_json_compact(&id, im->val, im->vlen);
		else if (x->jsonl)
			wn_buf_adds(&id, "null");
		else if (im && im->type == WN_J_STRING)
			wn_json_str_decode(im->val, im->vlen, &id);
		else if (im && im->type != WN_J_NULL)
			wn_json_compact(&id, im->val, im->vlen);
		wn_encbatch_add(b, text.data, text.len, src.data, src.len, id.data, id.len, rec.line, rec.len,
				st->cur_line);
		if (b->n < 256 && b->data.len < (1u << 20))
			continue;
		wn_encpool_submit(pool, b);
		while (!(b = wn_encpool_get(pool))) {
			done = wn_encpool_done(pool);
			write_batch(st, x, &tw, done, &line);
			wn_encpool_release(pool, done);
		}
	}
	if (b->n)
		wn_encpool_submit(pool, b);
	else
		wn_encpool_release(pool, b);
	while ((done = wn_encpool_done(pool))) {
		write_batch(st, x, &tw, done, &line);
		wn_encpool_release(pool, done);
	}
	wn_encpool_free(pool);
	wn_stage_stat_int(st, "tokens_out", (int64_t)x->ntokens);
	if (!x->jsonl && !st->pipe_closed && !st->fatal && wn_tokwriter_end(&tw) < 0 && errno != EPIPE)
		wn_stage_fail(st, "%s", wn_writer_error(st->out));
	wn_rec_release(&rec);
	wn_buf_release(&text);
	wn_buf_release(&src);
	wn_buf_release(&id);
	wn_buf_release(&line);
	return 0;
}

/* --decode: token streams -> {"id","source","text"}; BOS/EOS of the
 * header are stripped from the ends of each document. */
static void decode(struct wn_stage *st, const struct wn_bpe *bpe)
{
	struct wn_tokdoc d;
	struct wn_buf text = WN_BUF_INIT;
	struct wn_recout o;
	wn_tokdoc_init(&d);
	wn_recout_init(&o);
	for (int i = 0; i < st->ninputs && !st->fatal && !st->pipe_closed; i++) {
		struct wn_reader *r = wn_reader_open(st->inputs[i], st->err, sizeof st->err);
		struct wn_tokreader tr;
		if (!r || wn_tokreader_open(&tr, r, st->err, sizeof st->err) < 0) {
			wn_stage_fail(st, "%s", st->err);
			wn_reader_free(r);
			break;
		}
		if (strcmp(tr.h.tokenizer_hash, wn_bpe_hash(bpe)))
			wn_stage_warn(st, "%s: made with another tokenizer (hash %.12s..., this one %.12s...)",
				      st->inputs[i], tr.h.tokenizer_hash, wn_bpe_hash(bpe));
		int k;
		while ((k = wn_tokreader_next(&tr, &d, st->err, sizeof st->err)) > 0 && !st->pipe_closed) {
			wn_stage_count_in(st, 12 + d.source.len + d.id.len + 4 * d.ntokens);
			const uint32_t *t = d.tokens;
			size_t n = d.ntokens;
			if (n && tr.h.bos_id >= 0 && t[0] == (uint32_t)tr.h.bos_id)
				t++, n--;
			if (n && tr.h.eos_id >= 0 && t[n - 1] == (uint32_t)tr.h.eos_id)
				n--;
			wn_buf_reset(&text);
			char where[48];
			snprintf(where, sizeof where, "document %" PRIu64, tr.ndocs);
			if (wn_bpe_decode(bpe, t, n, &text, st->err, sizeof st->err) < 0) {
				if (wn_stage_bad(st, where, d.id.data, d.id.len, "%s", st->err) < 0)
					break;
				continue;
			}
			wn_recout_begin(&o, NULL);
			wn_recout_set_str(&o, "id", d.id.data, d.id.len);
			wn_recout_set_str(&o, "source", d.source.data, d.source.len);
			wn_recout_set_str(&o, "text", text.data, text.len);
			wn_stage_emit_rec(st, &o);
		}
		if (k < 0)
			wn_stage_fail(st, "%s", st->err);
		wn_tokreader_release(&tr);
		wn_reader_free(r);
	}
	wn_tokdoc_release(&d);
	wn_recout_release(&o);
	wn_buf_release(&text);
}

int main(int argc, char **argv)
{
	struct ctx x = { .eos_id = -1, .bos_id = -1, .pad_id = -1 };
	struct wn_stage_def d = def;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--decode"))
			d.flags |= WN_STAGE_RAW_INPUT;
	struct wn_stage st;
	int rc = wn_stage_start(&st, &d, &x, argc, argv);
	if (rc != WN_STAGE_RUN)
		return rc;
	struct wn_bpe *bpe = load(&st, &x);
	if (!bpe || (!x.decode && resolve_ids(&st, &x, bpe) < 0)) {
		wn_bpe_free(bpe);
		wn_writer_abort(st.out);
		st.out = NULL;
		return WN_EXIT_USAGE;
	}
	if (x.decode)
		decode(&st, bpe);
	else
		encode(&st, &x, bpe);
	wn_bpe_free(bpe);
	return wn_stage_finish(&st);
}
