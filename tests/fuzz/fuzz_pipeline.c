/* fuzz_pipeline.c -- libFuzzer target for the pipeline.yaml loader.
 * Properties: never crash or leak (ASan/UBSan); a rejected file always
 * gets a message that names the file and a line:column; an accepted one
 * satisfies the invariants the runner relies on (steps only read and
 * depend on earlier steps, barriers have one command, chains are short
 * enough for the runner). */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	struct wn_pipeline *p = wn_pipeline_load_mem((const char *)data, size, "/fuzz/p.yaml", err, sizeof err);
	if (!p) {
		if (strncmp(err, "/fuzz/p.yaml:", 13) != 0)
			abort();
		return 0;
	}
	if (p->nsteps < 1 || !p->work_dir || !p->output_dir || !p->name)
		abort();
	for (int i = 0; i < p->nsteps; i++) {
		const struct wn_pl_step *s = &p->steps[i];
		if (s->from >= i || s->from < -1 || s->nstages < 1 || (s->barrier && s->nstages != 1) || !s->ext)
			abort();
		if (!s->barrier && s->from >= 0 && p->steps[s->from].barrier)
			abort();
		for (int a = 0; a < s->nafter; a++)
			if (s->after[a] < 0 || s->after[a] >= i)
				abort();
		for (int k = 0; k < s->nstages; k++)
			if (s->stages[k].argc < 1 || !s->stages[k].argv[0][0])
				abort();
	}
	wn_pipeline_free(p);
	return 0;
}
