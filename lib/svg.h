/*
 * svg.h -- the two chart shapes the run report needs, drawn as inline SVG
 * text (no script, no fonts beyond the page's): horizontal bars with a label
 * and a note per row, and grouped columns over ordered buckets. Sizes are
 * in SVG user units; the charts scale to their container (viewBox).
 *
 * Ownership: everything is borrowed; the functions append to the caller's
 * buffer and escape every label.
 */
#ifndef WN_SVG_H
#define WN_SVG_H

#include "buf.h"

#define WN_SVG_MAXSEG 4

struct wn_svg_row {
	const char *label; /* left of the bar */
	const char *note;  /* right of the bar (may be NULL) */
	double seg[WN_SVG_MAXSEG];
};

struct wn_svg_series {
	const char *name;
	const char *color;
};

/* Horizontal bars, one row each. stacked: the segments are laid end to end
 * (e.g. out, rejected, bad); otherwise each segment is its own thin bar
 * (e.g. bytes in beside bytes out). Bars scale to `max` (the largest total
 * when max <= 0). A legend is drawn when nseries > 1. */
void wn_svg_hbars(struct wn_buf *b, const char *title, const struct wn_svg_row *rows, size_t n,
		  const struct wn_svg_series *series, int nseries, int stacked, double max);

/* Grouped columns: nseries values per bucket, values[bucket * nseries + s].
 * log_y draws the y axis on a log10(1 + v) scale. */
void wn_svg_columns(struct wn_buf *b, const char *title, const char *const *labels, size_t nbuckets,
		    const double *values, const struct wn_svg_series *series, int nseries, int log_y,
		    const char *xlabel, const char *ylabel);

/* A single bar split into parts summing to 1 (fill vs padding). */
void wn_svg_split(struct wn_buf *b, const char *title, const double *parts, const struct wn_svg_series *series,
		  int nparts);

/* Escape s for SVG/HTML text. */
void wn_svg_text(struct wn_buf *b, const char *s);

#endif
