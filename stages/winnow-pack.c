/*
 * winnow-pack -- token streams (winnow-tokenize) in, training shards out:
 * npy rows packed with best-fit decreasing or concat, Megatron indexed
 * datasets, or llm.c shards, with a validation split, per-source mixing and
 * manifest.json (docs/shards.md). `winnow-pack --verify DIR` rechecks one.
 */
#include "stage.h"
#include "tokstream.h"
#include "shardfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { O_FORMAT = 0x2000, O_PACK, O_MODE, O_SEQ, O_SHARD, O_BUF, O_SEED, O_VDOCS, O_VFRAC, O_MIN, O_MIX, O_MIXTOK, O_PREFIX };

static const struct option longopts[] = {
	{ "format", required_argument, NULL, O_FORMAT }, { "pack", required_argument, NULL, O_PACK },
	{ "mode", required_argument, NULL, O_MODE }, { "seq-len", required_argument, NULL, O_SEQ },
	{ "shard-tokens", required_argument, NULL, O_SHARD }, { "buffer-tokens", required_argument, NULL, O_BUF },
	{ "seed", required_argument, NULL, O_SEED }, { "val-docs", required_argument, NULL, O_VDOCS },
	{ "val-fraction", required_argument, NULL, O_VFRAC }, { "min-doc-tokens", required_argument, NULL, O_MIN },
	{ "mix", required_argument, NULL, O_MIX }, { "mix-tokens", required_argument, NULL, O_MIXTOK },
	{ "prefix", required_argument, NULL, O_PREFIX }, { 0 }
};

struct ctx {
	enum wn_shard_format format;
	enum wn_pack_kind pack;
	const char *mode, *mixspec, *prefix;
	uint64_t seq_len, shard_tokens, buffer_tokens, seed, val_docs, min_doc, mix_tokens;
	double val_frac;
	struct wn_pack_mix mix;
	struct wn_shardout out;
	int opened;
	int64_t pad;
	struct wn_inputs inputs; /* provenance */
};

static int num(const char *a, uint64_t *v)
{
	char *e;
	errno = 0;
	unsigned long long x = strtoull(a, &e, 10);
	if (errno || e == a || *a == '-')
		return -1;
	if (*e == 'K' || *e == 'k') x <<= 10, e++;
	else if (*e == 'M') x <<= 20, e++;
	else if (*e == 'G') x <<= 30, e++;
	*v = x;
	return *e ? -1 : 0;
}

static int on_option(struct wn_stage *st, int c, const char *a)
{
	struct ctx *x = st->ctx;
	int bad = 0;
	switch (c) {
	case O_FORMAT:
		bad = !strcmp(a, "npy") ? (x->format = WN_FMT_NPY, 0) : !strcmp(a, "megatron") ? (x->format = WN_FMT_MEGATRON, 0)
		      : !strcmp(a, "llmc") ? (x->format = WN_FMT_LLMC, 0) : 1;
		break;
	case O_PACK: bad = !strcmp(a, "bestfit") ? (x->pack = WN_PACK_BESTFIT, 0) : !strcmp(a, "concat") ? (x->pack = WN_PACK_CONCAT, 0) : 1; break;
	case O_MODE: bad = strcmp(a, "pretrain") && strcmp(a, "midtrain"); x->mode = a; break;
	case O_SEQ: bad = num(a, &x->seq_len) < 0 || x->seq_len == 0 || x->seq_len > (1u << 24); break;
	case O_SHARD: bad = num(a, &x->shard_tokens) < 0 || x->shard_tokens == 0; break;
	case O_BUF: bad = num(a, &x->buffer_tokens) < 0 || x->buffer_tokens == 0; break;
	case O_SEED: bad = num(a, &x->seed) < 0; break;
	case O_VDOCS: bad = num(a, &x->val_docs) < 0 || x->val_docs > (1u << 24); break;
	case O_VFRAC: { char *e; x->val_frac = strtod(a, &e); bad = *e || !(x->val_frac >= 0 && x->val_frac < 1); break; }
	case O_MIN: bad = num(a, &x->min_doc) < 0; break;
	case O_MIX: x->mixspec = a; break;
	case O_MIXTOK: bad = num(a, &x->mix_tokens) < 0; break;
	case O_PREFIX: bad = !*a || strchr(a, '/') != NULL; x->prefix = a; break;
	}
	if (bad)
		wn_stage_warn(st, "bad value '%s' for --%s", a, longopts[c - O_FORMAT].name);
	return bad ? -1 : 0;
}

static const struct wn_stage_def def = {
	.name = "pack",
	.summary = "Pack token streams into training shards (npy rows, Megatron indexed dataset, llm.c) + manifest.json.\n"
		   "'winnow-pack --verify DIR' rechecks a shard directory against its manifest.",
	.usage = "-o DIR [OPTIONS] [TOKEN-STREAM...]",
	.options_help =
		"      --format F          npy (default), megatron, llmc\n"
		"      --pack P            npy packing: bestfit (default, best-fit decreasing) or concat\n"
		"      --mode M            pretrain (seq-len 4096) or midtrain (seq-len 32768)\n"
		"      --seq-len N         row length of npy shards\n"
		"      --shard-tokens N    tokens per shard file (npy, llmc; default 100M)\n"
		"      --buffer-tokens N   tokens packed at a time, bounds memory (default 256M)\n"
		"      --seed N            row order, validation choice and mixing (default 0)\n"
		"      --val-docs N        N documents (reservoir sample) to a validation split\n"
		"      --val-fraction F    each document to validation with probability F\n"
		"      --min-doc-tokens N  reject shorter documents (rule too-short)\n"
		"      --mix SRC=W,...     token share per source (prefix 'cc' matches 'cc/...'; '*' = the rest);\n"
		"                          sources are repeated or sampled down; inputs are read twice\n"
		"      --mix-tokens N      total train tokens of the mix (default: the eligible input)\n"
		"      --prefix NAME       file prefix for megatron/llmc (default winnow)\n"
		"      --verify DIR        recheck DIR (hashes, headers, shapes, indices); exit 1 on mismatch\n",
	.longopts = longopts,
	.on_option = on_option,
	.flags = WN_STAGE_RAW_INPUT | WN_STAGE_DIR_OUTPUT | WN_STAGE_NO_OUTPUT,
};

/* Outputs need the tokenizer header: opened when the first one is read. */
static int open_out(struct wn_stage *st, struct ctx *x, const struct wn_tokstream_header *h)
{
	int64_t pad = h->pad_id >= 0 ? h->pad_id : h->eos_id >= 0 ? h->eos_id : 0;
	if ((uint64_t)pad >= (1ull << (8 * wn_shard_esize(x->format, h->vocab_size))))
		return wn_stage_fail(st, "pad id %lld does not fit the token width", (long long)pad);
	x->pad = pad;
	struct wn_shardout_opts so = {
		.set = { .format = x->format, .dir = st->out_path, .prefix = x->prefix, .vocab = h->vocab_size,
			 .seq_len = (uint32_t)x->seq_len, .pack = x->pack, .pad_id = (uint32_t)pad,
			 .buffer_tokens = x->buffer_tokens, .shard_tokens = x->shard_tokens, .seed = x->seed },
		.val_docs = x->val_docs, .val_frac = x->val_frac,
	};
	x->opened = 1;
	if (wn_shardout_open(&x->out, &so, &x->mix, st->err, sizeof st->err) < 0)
		return wn_stage_fail(st, "%s", st->err);
	return 0;
}

/* Account for what the router did with the documents since the last call. */
static void account(struct wn_stage *st, struct ctx *x, uint64_t written0, uint64_t dropped0)
{
	st->docs_out += x->out.written - written0;
	for (uint64_t i = dropped0; i < x->out.dropped; i++)
		wn_stage_reject(st, NULL, "mix-sampled-out");
}

/* A document as pass() sees it: views of its tags and ids. */
struct doc {
	const char *src, *id;
	size_t srclen, idlen, n;
	const unsigned char *tok; /* n little-endian uint32 at any alignment */
};

/* Next document of a mapped input (views into the mapping) or a read one
 * (into d). */
static int next_doc(struct wn_tokmap *tm, struct wn_tokreader *tr, struct wn_tokdoc *d, struct doc *o, char *err,
		    size_t errlen)
{
	if (tm->p) {
		uint32_t n = 0;
		int r = wn_tokmap_next(tm, &n, &o->tok, err, errlen);
		*o = (struct doc){ tm->source, tm->id, tm->source_len, tm->id_len, n, o->tok };
		return r;
	}
	int r = wn_tokreader_next(tr, d, err, errlen);
	/* after the call: it may grow the arrays */
	*o = (struct doc){ d->source.data, d->id.data, d->source.len, d->id.len, d->ntokens,
			   (const unsigned char *)d->tokens };
	return r;
}

/* One pass over every input. count_only: the mixing census (no accounting). */
static int pass(struct wn_stage *st, struct ctx *x, int count_only, struct wn_tokstream_header *hdr)
{
	struct wn_tokdoc d;
	wn_tokdoc_init(&d);
	for (int f = 0; f < st->ninputs && !st->fatal; f++) {
		struct wn_tokreader tr = { 0 };
		struct wn_tokmap tm; /* regular files are mapped, the rest read */
		st->cur_input = f;   /* names the file in messages when mapped */
		int mapped = wn_tokmap_open(&tm, st->inputs[f], x->inputs.map[f], x->inputs.mapn[f], st->err,
					    sizeof st->err);
		if (mapped < 0 || (!mapped && !(st->in = wn_reader_open(st->inputs[f], st->err, sizeof st->err)))) {
			wn_tokmap_close(&tm);
			wn_stage_fail(st, "%s", st->err);
			break;
		}
		if (!mapped && wn_tokreader_open(&tr, st->in, st->err, sizeof st->err) < 0) {
			wn_tokreader_release(&tr);
			wn_reader_free(st->in);
			st->in = NULL;
			wn_stage_fail(st, "%s", st->err);
			break;
		}
		if (mapped)
			wn_tokmap_hash(&tm, &x->inputs, f);
		const struct wn_tokstream_header *th = mapped ? &tm.h : &tr.h;
		if (!hdr->vocab_size) {
			*hdr = *th;
			wn_buf_init(&hdr->json);
		} else if (th->vocab_size != hdr->vocab_size || strcmp(th->tokenizer_hash, hdr->tokenizer_hash)) {
			wn_stage_fail(st, "%s: tokenizer differs from the first input's", st->inputs[f]);
		}
		int r = 0;
		if (!count_only && !x->opened && open_out(st, x, hdr) < 0)
			r = -1;
		struct doc o;
		uint64_t ndoc = 0;
		/* The packer may keep pointers into a mapping that wn_inputs
		 * owns: it stays mapped until the end of the run. */
		int stable = mapped && tm.borrowed;
		while (r >= 0 && !st->fatal && (r = next_doc(&tm, &tr, &d, &o, st->err, sizeof st->err)) != 0) {
			if (r < 0) {
				wn_stage_fail(st, "%s", st->err);
				break;
			}
			ndoc++;
			size_t n = o.n, badi = wn_pack_check_tokens(o.tok, n, hdr->vocab_size);
			int keep = badi == n && n > 0 && n >= x->min_doc;
			struct wn_pack_source *s = keep ? wn_pack_source_get(&x->mix, o.src, o.srclen) : NULL;
			if (count_only) {
				if (s)
					s->docs_in++, s->tokens_in += n;
				continue;
			}
			wn_stage_count_in(st, 12 + o.srclen + o.idlen + 4 * n);
			char where[64];
			if (badi < n && snprintf(where, sizeof where, "document %llu", (unsigned long long)ndoc))
				wn_stage_bad(st, where, NULL, 0, "id '%.*s': token %u >= vocab size %u", (int)WN_MIN(o.idlen, 200),
					     o.id, wn_get_le32(o.tok + 4 * badi), hdr->vocab_size);
			else if (!keep)
				wn_stage_reject(st, NULL, n ? "too-short" : "empty");
			else {
				if (!x->mixspec)
					s->docs_in++, s->tokens_in += n;
				uint64_t w0 = x->out.written, d0 = x->out.dropped;
				if ((stable ? wn_shardout_add_ref : wn_shardout_add)(&x->out, o.tok, n, s, st->err,
										   sizeof st->err) < 0)
					wn_stage_fail(st, "%s", st->err);
				account(st, x, w0, d0);
			}
		}
		uint64_t raw = mapped ? tm.pos : wn_reader_raw_pos(st->in);
		st->done_raw += raw;
		x->inputs.raw[f] = raw;
		wn_tokmap_close(&tm);
		wn_tokreader_release(&tr);
		wn_reader_free(st->in);
		st->in = NULL;
	}
	wn_tokdoc_release(&d);
	return st->fatal ? -1 : 0;
}

static int run(struct wn_stage *st, struct ctx *x, int argc, char **argv)
{
	struct wn_tokstream_header h;
	wn_tokstream_header_init(&h);
	/* provenance hashes of the input files (as they are read, see pass) */
	wn_inputs_start(&x->inputs, st->inputs, st->ninputs);
	if (x->mixspec) {
		if (!x->inputs.all_regular)
			return wn_stage_fail(st, "--mix reads its inputs twice: give regular files, not stdin or pipes");
		if (pass(st, x, 1, &h) < 0 || wn_pack_mix_plan(&x->mix, st->err, sizeof st->err) < 0)
			return st->fatal ? -1 : wn_stage_fail(st, "%s", st->err);
	}
	if (pass(st, x, 0, &h) < 0)
		return -1;
	uint64_t w0 = x->out.written, d0 = x->out.dropped;
	if (!x->opened || wn_shardout_finish(&x->out, stderr, st->err, sizeof st->err) < 0)
		return wn_stage_fail(st, "%s", x->opened ? st->err : "no input");
	account(st, x, w0, d0);
	for (size_t i = 0; i < x->out.train.nent; i++)
		st->bytes_out += x->out.train.ent[i].bytes;
	for (size_t i = 0; i < x->out.val.nent; i++)
		st->bytes_out += x->out.val.ent[i].bytes;
	wn_inputs_finish(&x->inputs, stderr);
	struct wn_manifest_info mi = { .format = x->format, .mode = x->mode, .pack = x->pack, .seq_len = (uint32_t)x->seq_len,
				       .seed = x->seed, .min_doc_tokens = x->min_doc, .vocab = h.vocab_size,
				       .tokenizer_hash = h.tokenizer_hash, .eos_id = h.eos_id, .bos_id = h.bos_id,
				       .pad_id = h.pad_id, .pad_used = x->pad, .train = &x->out.train,
				       .val = x->out.have_val ? &x->out.val : NULL,
				       .mix = &x->mix, .docs_in = st->docs_in, .docs_rejected = st->docs_rejected,
				       .docs_bad = st->docs_bad, .argc = argc, .argv = argv, .inputs = x->inputs.in,
				       .ninputs = (size_t)st->ninputs };
	int rc = wn_manifest_write(st->out_path, &mi, st->err, sizeof st->err);
	return rc < 0 ? wn_stage_fail(st, "%s", st->err) : 0;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--verify")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "winnow-pack: --verify needs a directory\n");
				return WN_EXIT_USAGE;
			}
			char err[512];
			int rc = wn_shards_verify(argv[i + 1], stderr, err, sizeof err);
			if (rc < 0)
				fprintf(stderr, "winnow-pack: %s\n", err);
			else if (rc == 0)
				fprintf(stderr, "winnow-pack: %s: ok\n", argv[i + 1]);
			return rc ? WN_EXIT_DATA : WN_EXIT_OK;
		}
	struct ctx x = { .mode = "pretrain", .prefix = "winnow", .shard_tokens = 100000000, .buffer_tokens = 256u << 20 };
	struct wn_stage st;
	wn_pack_mix_init(&x.mix, 0);
	int rc = wn_stage_start(&st, &def, &x, argc, argv);
	if (rc != WN_STAGE_RUN)
		return rc;
	if (x.val_docs && x.val_frac > 0)
		return wn_stage_warn(&st, "--val-docs and --val-fraction exclude each other"), WN_EXIT_USAGE;
	if (!x.seq_len)
		x.seq_len = !strcmp(x.mode, "midtrain") ? 32768 : 4096;
	wn_pack_mix_release(&x.mix);
	wn_pack_mix_init(&x.mix, x.seed);
	x.mix.target_tokens = x.mix_tokens;
	if (x.mixspec && wn_pack_mix_parse(&x.mix, x.mixspec, st.err, sizeof st.err) < 0)
		return wn_stage_warn(&st, "%s", st.err), WN_EXIT_USAGE;
	run(&st, &x, argc, argv);
	wn_inputs_release(&x.inputs);
	wn_shardout_release(&x.out); /* removes unfinished temporary files */
	wn_pack_mix_release(&x.mix);
	return wn_stage_finish(&st);
}
