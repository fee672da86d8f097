/*
 * winnow-report -- the run report: read a winnow-run work directory and
 * write one self-contained HTML page (inline CSS and SVG, no script, no
 * network) with the funnel, rejections, lengths, languages, duplicates,
 * tokenizer, packing, timings and failures; optionally the aggregated
 * numbers as JSON. Not a record stage: it reads the markers the runner
 * leaves, not JSONL on stdin. See docs/report.md.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "report.h"

static const char usage[] =
	"usage: winnow-report WORK_DIR [-o report.html] [--json FILE]\n"
	"Summarise a winnow-run work directory as one self-contained HTML page.\n"
	"\n"
	"  -o, --output FILE   the HTML page (default WORK_DIR/report.html; '-' = stdout);\n"
	"                      written to a temporary name and renamed when complete\n"
	"      --json FILE     also write the aggregated numbers as JSON ('-' = stdout)\n"
	"      --strict        exit 1 when a file in the work directory cannot be read\n"
	"  -q, --quiet         do not list unreadable files on stderr\n"
	"  -h, --help          this help\n"
	"      --version       version\n"
	"\n"
	"Exit status: 0 ok, 1 the work directory or an output cannot be read/written\n"
	"(or, with --strict, a file in it could not be read), 2 usage.\n";

/* "-" is stdout, anything else an atomic file. */
static int put(const char *path, const struct wn_buf *b)
{
	char err[512];
	if (!strcmp(path, "-")) {
		if (fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout)) {
			fprintf(stderr, "winnow-report: cannot write to stdout\n");
			return -1;
		}
		return 0;
	}
	if (wn_write_file_atomic(path, b->data, b->len, err, sizeof err) < 0) {
		fprintf(stderr, "winnow-report: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' }, { "json", required_argument, NULL, 'J' },
		{ "strict", no_argument, NULL, 'S' },       { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *json = NULL;
	int strict = 0, quiet = 0, c;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'J': json = optarg; break;
		case 'S': strict = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("winnow-report %s (%s)\n", WN_VERSION, WN_COMMIT); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "winnow-report: %s\n%s", optind < argc ? "one work directory, please" : "missing WORK_DIR",
			usage);
		return 2;
	}
	const char *work = argv[optind];
	if (out && json && !strcmp(out, "-") && !strcmp(json, "-")) {
		fprintf(stderr, "winnow-report: -o and --json cannot both be stdout\n");
		return 2;
	}
	char err[512];
	struct wn_report *r = wn_report_load(work, err, sizeof err);
	if (!r) {
		fprintf(stderr, "winnow-report: %s\n", err);
		return 1;
	}
	if (!quiet)
		for (size_t i = 0; i < r->nwarnings; i++)
			fprintf(stderr, "winnow-report: warning: %s\n", r->warnings[i]);
	int rc = 0;
	struct wn_buf b = WN_BUF_INIT;
	struct wn_buf def = WN_BUF_INIT;
	if (!out) {
		wn_buf_addf(&def, "%s/report.html", work);
		out = def.data;
	}
	wn_report_html(r, &b);
	if (put(out, &b) < 0)
		rc = 1;
	if (json) {
		wn_buf_reset(&b);
		wn_report_json(r, &b);
		if (put(json, &b) < 0)
			rc = 1;
	}
	if (strict && r->nwarnings)
		rc = 1;
	wn_buf_release(&b);
	wn_buf_release(&def);
	wn_report_free(r);
	return rc;
}
