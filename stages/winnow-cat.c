/*
 * winnow-cat -- read records from any supported input, validate them, and
 * write one compact JSONL line per record. The simplest stage, and the
 * template for the others: flags and accounting come from lib/stage.h.
 */
#include "stage.h"

static const struct wn_stage_def def = {
	.name = "cat",
	.summary = "Read JSONL records (plain, gz, bz2, xz, zst), validate them, write compact JSONL.\n"
		   "Every field passes through unchanged; only white space between tokens is removed.",
	.usage = "[OPTIONS] [FILE...]",
};

int main(int argc, char **argv)
{
	struct wn_stage st;
	int rc = wn_stage_start(&st, &def, NULL, argc, argv);
	if (rc != WN_STAGE_RUN)
		return rc;
	struct wn_rec rec;
	struct wn_buf line = WN_BUF_INIT;
	wn_rec_init(&rec);
	while (wn_stage_next(&st, &rec) > 0) {
		wn_buf_reset(&line);
		wn_json_compact(&line, rec.line, rec.len);
		wn_buf_addc(&line, '\n');
		wn_stage_emit(&st, line.data, line.len);
	}
	wn_rec_release(&rec);
	wn_buf_release(&line);
	return wn_stage_finish(&st);
}
