/*
 * winnow-bpe -- train a byte-level BPE tokenizer on JSONL documents.
 *
 *   winnow-bpe train [OPTIONS] -o DIR [FILE...]          documents -> tokenizer
 *   winnow-bpe train [OPTIONS] -o DIR --counts COUNTS...  count files -> tokenizer
 *   winnow-bpe count [--shard I/N] [OPTIONS] -o COUNTS [FILE...]
 *
 * The work is in tokenizer/: bpe_counts (pre-token counting, count files),
 * bpe_train (the merge loop), bpe_write (tokenizer.json, .tiktoken, meta).
 */
#include "bpe_counts.h"
#include "bpe_train.h"
#include "bpe_write.h"
#include "pretok.h"
#include "stage.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ctx {
	int train;
	size_t vocab, max_piece;
	uint64_t min_freq;
	const char *pattern;
	char *specials_arg;
	int from_counts, specials_last, all_bytes, shard_i, shard_n;
};

enum { O_VOCAB = 0x2000, /* above lib/stage.c's own option codes (0x1000..) */ O_MINFREQ, O_MAXPIECE, O_PATTERN, O_SPECIAL, O_COUNTS, O_SHARD, O_ALPHABET, O_SPLAST };

static const struct option longopts[] = {
	{ "vocab-size", required_argument, NULL, O_VOCAB },
	{ "min-frequency", required_argument, NULL, O_MINFREQ },
	{ "max-piece-bytes", required_argument, NULL, O_MAXPIECE },
	{ "pattern", required_argument, NULL, O_PATTERN },
	{ "special", required_argument, NULL, O_SPECIAL },
	{ "counts", no_argument, NULL, O_COUNTS },
	{ "shard", required_argument, NULL, O_SHARD },
	{ "alphabet", required_argument, NULL, O_ALPHABET },
	{ "specials-last", no_argument, NULL, O_SPLAST },
	{ 0 },
};

static int num(struct wn_stage *st, const char *opt, const char *arg, uint64_t *out)
{
	char *e;
	unsigned long long v = strtoull(arg, &e, 10);
	if (!*arg || *e || *arg == '-') {
		wn_stage_warn(st, "%s needs a non-negative number, not '%s'", opt, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int on_option(struct wn_stage *st, int c, const char *arg)
{
	struct ctx *x = st->ctx;
	uint64_t v = 0;
	switch (c) {
	case O_VOCAB:
		if (num(st, "--vocab-size", arg, &v) < 0)
			return -1;
		if (v < 1 || v > 0x7FFFFFFF)
			return wn_stage_warn(st, "--vocab-size must be 1 .. 2^31-1"), -1;
		x->vocab = (size_t)v;
		return 0;
	case O_MINFREQ: return num(st, "--min-frequency", arg, &x->min_freq);
	case O_MAXPIECE:
		if (num(st, "--max-piece-bytes", arg, &v) < 0)
			return -1;
		x->max_piece = (size_t)v;
		return 0;
	case O_PATTERN: x->pattern = arg; return 0;
	case O_SPECIAL: x->specials_arg = wn_xstrdup(arg); return 0;
	case O_COUNTS: x->from_counts = 1; return x->train ? 0 : (wn_stage_warn(st, "--counts is for train"), -1);
	case O_SPLAST: x->specials_last = 1; return 0;
	case O_ALPHABET:
		if (strcmp(arg, "all") && strcmp(arg, "seen"))
			return wn_stage_warn(st, "--alphabet is 'all' or 'seen', not '%s'", arg), -1;
		x->all_bytes = !strcmp(arg, "all");
		return 0;
	case O_SHARD:
		if (x->train || sscanf(arg, "%d/%d", &x->shard_i, &x->shard_n) != 2 || x->shard_n < 1 ||
		    x->shard_i < 0 || x->shard_i >= x->shard_n)
			return wn_stage_warn(st, "--shard I/N (count only) needs 0 <= I < N, not '%s'", arg), -1;
		return 0;
	}
	return -1;
}

#define COMMON_HELP                                                                                            \
	"      --pattern P          split pattern: gpt2, cl100k (default), cl100k-py, o200k, or a regex\n"   \
	"      --max-piece-bytes N  do not count pieces longer than N bytes (default 0: no limit)\n"

static const struct wn_stage_def train_def = {
	.name = "bpe",
	.summary = "Train a byte-level BPE tokenizer (Hugging Face BpeTrainer's merges, 64-bit counts).\n"
		   "Writes DIR/tokenizer.json, DIR/tokenizer.tiktoken and DIR/tokenizer.meta.json.",
	.usage = "train -o DIR [OPTIONS] [FILE...]   (or --counts COUNTFILE...)",
	.options_help = "      --vocab-size N       vocabulary size, specials included (default 32000)\n"
			"      --min-frequency N    stop when the best pair occurs fewer than N times\n" COMMON_HELP
			"      --special LIST       comma-separated special tokens (default <|endoftext|>; '' none)\n"
			"      --alphabet all|seen  all 256 bytes (default) or only the bytes seen (HF's default)\n"
			"      --specials-last      number specials after the ordinary tokens (tiktoken style)\n"
			"      --counts             inputs are count files from `winnow-bpe count`\n",
	.longopts = longopts,
	.on_option = on_option,
	.flags = WN_STAGE_DIR_OUTPUT,
	.has_threads = 1,
};

static const struct wn_stage_def count_def = {
	.name = "bpe",
	.summary = "Count pre-tokens of JSONL documents into a count file for `winnow-bpe train --counts`.",
	.usage = "count -o COUNTS [--shard I/N] [OPTIONS] [FILE...]",
	.output_help = "COUNTS   the count file to write",
	.options_help = "      --shard I/N          only files i with i % N == I (default 0/1: all)\n" COMMON_HELP,
	.longopts = longopts,
	.on_option = on_option,
	.flags = WN_STAGE_DIR_OUTPUT,
	.has_threads = 1,
};

/* Name of the built-in pattern whose text is `re`, or NULL. */
static const char *builtin_name(const char *re)
{
	static const char *names[] = { "cl100k", "o200k", "gpt2", "cl100k-py" };
	for (size_t i = 0; i < WN_ARRAY_SIZE(names); i++)
		if (wn_pretok_builtin(names[i]) && !strcmp(wn_pretok_builtin(names[i]), re))
			return names[i];
	return NULL;
}

/* Read the documents and count their pieces (docs without text are bad). */
static struct wn_bpe_counts *count_docs(struct wn_stage *st, const struct wn_pretok *pt, size_t max_piece)
{
	struct wn_bpe_counter *k = wn_bpe_counter_new(pt, st->threads, max_piece);
	struct wn_rec rec;
	struct wn_buf text = WN_BUF_INIT;
	char where[64];
	wn_rec_init(&rec);
	while (wn_stage_next(st, &rec) > 0) {
		int r = wn_rec_get_str(&rec, "text", &text);
		snprintf(where, sizeof where, "line %llu", (unsigned long long)st->cur_line);
		if (r != 1) {
			if (wn_stage_bad(st, where, rec.line, rec.len, r == 0 ? "missing text" : "text is not a string"))
				break;
			continue;
		}
		if (wn_utf8_valid_prefix(text.data, text.len) != text.len) {
			if (wn_stage_bad(st, where, rec.line, rec.len, "text is not valid UTF-8"))
				break;
			continue;
		}
		wn_bpe_counter_add(k, text.data, text.len);
		wn_stage_count_out(st, 0); /* used for training: counted as out */
		wn_stage_tick(st);
	}
	wn_rec_release(&rec);
	wn_buf_release(&text);
	uint64_t skipped;
	struct wn_bpe_counts *c = wn_bpe_counter_finish(k, &skipped);
	if (skipped)
		wn_stage_reason(st, "pieces-over-max-piece-bytes", skipped);
	return c;
}

/* CPUs this process may run on (its affinity mask: what Slurm or taskset
 * gave it). */
static int usable_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

int main(int argc, char **argv)
{
	struct ctx x = { .vocab = 32000, .all_bytes = 1, .shard_n = 1 };
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("winnow-bpe %s (%s)\n", WN_VERSION, WN_COMMIT);
		return WN_EXIT_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "train") && strcmp(argv[1], "count"))) {
		int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		fprintf(help ? stdout : stderr, "usage: winnow-bpe train -o DIR [OPTIONS] [FILE...]\n"
						"       winnow-bpe count -o COUNTS [--shard I/N] [OPTIONS] [FILE...]\n"
						"(winnow-bpe train --help, winnow-bpe count --help for options)\n");
		return help ? WN_EXIT_OK : WN_EXIT_USAGE;
	}
	x.train = !strcmp(argv[1], "train");
	struct wn_stage st;
	int rc = wn_stage_start(&st, x.train ? &train_def : &count_def, &x, argc - 1, argv + 1);
	if (rc != WN_STAGE_RUN)
		return rc;
	/* -j beyond the CPUs this process may use only costs: the merge
	 * loop's threads spin between steps of a few microseconds and then
	 * wait for the scheduler, and each counting thread adds a table to
	 * merge (-j 8 on 2 CPUs took 1.40 s, -j 1 1.28 s, -j 2 0.82 s). The
	 * result does not depend on the number of threads. */
	if (st.threads > usable_cpus())
		st.threads = usable_cpus();
	char err[512];
	double t0 = wn_now();
	if (x.shard_n > 1) { /* keep files i with i % N == I */
		int k = 0;
		for (int i = 0; i < st.ninputs; i++)
			if (i % x.shard_n == x.shard_i)
				st.inputs[k++] = st.inputs[i];
		st.ninputs = k;
	}
	struct wn_pretok *pt = NULL;
	struct wn_bpe_counts *c = NULL;
	char *pattern = NULL;
	if (x.from_counts) {
		c = wn_bpe_counts_merge_files(st.inputs, st.ninputs, &pattern, err, sizeof err);
		if (!c)
			wn_stage_fail(&st, "%s", err);
		else if (x.pattern && strcmp(wn_pretok_builtin(x.pattern) ? wn_pretok_builtin(x.pattern) : x.pattern,
					      pattern))
			wn_stage_fail(&st, "--pattern differs from the count files' pattern");
	} else if (!(pt = wn_pretok_new(x.pattern ? x.pattern : "cl100k", err, sizeof err))) {
		wn_stage_fail(&st, "--pattern: %s", err);
	} else {
		pattern = wn_xstrdup(wn_pretok_pattern(pt));
		c = count_docs(&st, pt, x.max_piece);
		if (st.progress)
			fprintf(stderr, "\nbpe: counted %zu distinct pieces in %.2f s\n", c->n, wn_now() - t0);
	}
	if (c && !st.fatal && !x.train) {
		wn_stage_stat_int(&st, "distinct_pieces", (int64_t)c->n);
		if (wn_bpe_counts_write(c, pattern, st.out_path, err, sizeof err) < 0)
			wn_stage_fail(&st, "%s", err);
	} else if (c && !st.fatal) {
		/* specials: comma-separated, empty items dropped */
		char *sp = x.specials_arg ? x.specials_arg : wn_xstrdup("<|endoftext|>");
		const char **specials = wn_xcalloc(strlen(sp) + 1, sizeof(*specials));
		size_t ns = 0;
		for (char *tok = strtok(sp, ","); tok; tok = strtok(NULL, ","))
			specials[ns++] = tok;
		struct wn_bpe_train_opts o = { .vocab_size = x.vocab, .min_frequency = x.min_freq,
					       .threads = st.threads, .all_bytes = x.all_bytes,
					       .specials = specials, .nspecials = ns,
					       .verbose = st.progress };
		struct wn_bpe_model m;
		uint64_t docs = c->docs, bytes = c->bytes;
		struct wn_bpe_counts *t = c;
		c = NULL; /* training takes the table (and frees it early) */
		if (wn_bpe_train_take(t, &o, &m, err, sizeof err) < 0) {
			wn_stage_fail(&st, "%s", err);
		} else {
			struct wn_bpe_write_opts w = { .pattern = pattern, .pattern_name = builtin_name(pattern),
						       .specials_last = x.specials_last, .all_bytes = x.all_bytes,
						       .min_frequency = x.min_freq, .vocab_size_requested = x.vocab,
						       .docs = docs, .bytes = bytes };
			double tw = wn_now();
			if (wn_bpe_write_dir(&m, &w, st.out_path, err, sizeof err) < 0)
				wn_stage_fail(&st, "%s", err);
			else if (st.progress)
				fprintf(stderr, "bpe: wrote %s in %.2f s (%.2f s since start)\n", st.out_path,
					wn_now() - tw, wn_now() - t0);
			wn_stage_stat_int(&st, "vocab_size", (int64_t)m.ntok);
			wn_stage_stat_int(&st, "merges", (int64_t)m.nmerges);
			wn_stage_stat_int(&st, "distinct_pieces", (int64_t)m.npieces);
			wn_bpe_model_release(&m);
		}
		free(specials);
		free(sp);
		x.specials_arg = NULL;
	}
	wn_bpe_counts_free(c);
	wn_pretok_free(pt);
	free(pattern);
	free(x.specials_arg);
	return wn_stage_finish(&st);
}
