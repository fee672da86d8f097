/* fuzz_bpe_train.c -- libFuzzer target: the partitioned trainer gives the
 * same merges and vocabulary at 1, 2 and 3 threads (one-word blocks, so
 * that neighbouring words sit in different partitions and every step runs
 * on every partition). The input is cut into words at 0xFF bytes; a word's
 * first byte gives its count (1..16), the rest are its bytes over a small
 * alphabet (so pairs repeat, merges chain and token ids get reused); the
 * first input byte sets the vocabulary size. */
#include "bpe_train.h"

#include <stdlib.h>
#include <string.h>

static int same(const struct wn_bpe_model *x, const struct wn_bpe_model *y)
{
	if (x->ntok != y->ntok || x->nmerges != y->nmerges)
		return 0;
	for (size_t i = 0; i < x->nmerges; i++)
		if (x->merges[i].a != y->merges[i].a || x->merges[i].b != y->merges[i].b ||
		    x->merges[i].id != y->merges[i].id)
			return 0;
	for (size_t i = 0; i < x->ntok; i++)
		if (x->len[i] != y->len[i] || memcmp(x->bytes + x->off[i], y->bytes + y->off[i], x->len[i]))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (size > 4096) /* four trainings a run: keep runs short, the words few */
		size = 4096;
	size_t vocab = 4 + data[0] % 120;
	struct wn_bpe_counts *c = wn_bpe_counts_new();
	char word[256];
	size_t i = 1;
	while (i < size) {
		uint64_t count = 1 + data[i++] % 16;
		size_t n = 0;
		while (i < size && data[i] != 0xFF && n < sizeof word)
			word[n++] = (char)('a' + data[i++] % 5);
		i++; /* the separator */
		if (n)
			wn_bpe_counts_add(c, word, n, count);
	}
	struct wn_bpe_model ref;
	struct wn_bpe_train_opts o = { .vocab_size = vocab, .threads = 1, .block_words = 1 };
	if (wn_bpe_train(c, &o, &ref, NULL, 0) != 0)
		abort();
	/* one thread with batches of merges, then 2 and 3 threads (batches
	 * of the default size, and of a size from the input) */
	for (int t = 1; t <= 3; t++) {
		struct wn_bpe_model m;
		o.threads = t;
		o.max_batch = t == 1 ? 64 : t == 2 ? 0 : 1 + data[0] % 64;
		if (wn_bpe_train(c, &o, &m, NULL, 0) != 0 || !same(&ref, &m))
			abort();
		wn_bpe_model_release(&m);
	}
	wn_bpe_model_release(&ref);
	wn_bpe_counts_free(c);
	return 0;
}
