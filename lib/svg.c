/*
 * svg.c -- bar and column charts as inline SVG (see svg.h). Text takes its
 * font and colour from the page's CSS (class names below), so the charts
 * follow the page and carry no style of their own beyond fills.
 */
#include "svg.h"

#include <math.h>
#include <string.h>

#define W 960.0

void wn_svg_text(struct wn_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': wn_buf_adds(b, "&amp;"); break;
		case '<': wn_buf_adds(b, "&lt;"); break;
		case '>': wn_buf_adds(b, "&gt;"); break;
		case '"': wn_buf_adds(b, "&quot;"); break;
		case '\'': wn_buf_adds(b, "&#39;"); break;
		default: wn_buf_addc(b, *s);
		}
	}
}

/* Label text cut to at most `max` code points (UTF-8 aware), with an
 * ellipsis; the full text goes in a <title> for the tooltip. */
static void text_cut(struct wn_buf *b, const char *s, size_t max)
{
	size_t cps = 0, i = 0;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (cps == max)
				break;
			cps++;
		}
	}
	if (!s[i]) {
		wn_svg_text(b, s);
		return;
	}
	struct wn_buf t = WN_BUF_INIT;
	wn_buf_add(&t, s, i);
	wn_svg_text(b, t.data);
	wn_buf_adds(b, "\xE2\x80\xA6");
	wn_buf_release(&t);
}

/* 1234 -> "1.2k", 3400000 -> "3.4M" (axis ticks, bar notes). */
static void fmt_short(struct wn_buf *b, double v)
{
	static const char *const suf[] = { "", "k", "M", "G", "T", "P" };
	int k = 0;
	while (fabs(v) >= 1000 && k < 5)
		v /= 1000, k++;
	if (v == floor(v))
		wn_buf_addf(b, "%.0f%s", v, suf[k]);
	else
		wn_buf_addf(b, v < 10 ? "%.1f%s" : "%.0f%s", v, suf[k]);
}

static void legend(struct wn_buf *b, const struct wn_svg_series *series, int nseries, double x, double y)
{
	for (int s = 0; s < nseries; s++) {
		wn_buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, y - 10,
			    series[s].color);
		wn_buf_addf(b, "<text class=\"lg\" x=\"%.1f\" y=\"%.1f\">", x + 16, y);
		wn_svg_text(b, series[s].name);
		wn_buf_adds(b, "</text>");
		x += 28 + 7.0 * (double)strlen(series[s].name);
	}
}

void wn_svg_hbars(struct wn_buf *b, const char *title, const struct wn_svg_row *rows, size_t n,
		  const struct wn_svg_series *series, int nseries, int stacked, double max)
{
	const double LW = 240, BW = 470, top = nseries > 1 ? 26 : 6;
	const double rowh = stacked ? 24 : 8.0 * nseries + 12, barh = stacked ? 16 : 7;
	if (nseries > WN_SVG_MAXSEG)
		nseries = WN_SVG_MAXSEG;
	if (max <= 0) {
		for (size_t i = 0; i < n; i++) {
			double t = 0;
			for (int s = 0; s < nseries; s++)
				t = stacked ? t + rows[i].seg[s] : (rows[i].seg[s] > t ? rows[i].seg[s] : t);
			if (t > max)
				max = t;
		}
	}
	if (max <= 0)
		max = 1;
	double H = top + rowh * (double)n + 6;
	wn_buf_addf(b, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>", W, H);
	wn_svg_text(b, title);
	wn_buf_adds(b, "</title>");
	if (nseries > 1)
		legend(b, series, nseries, LW, 16);
	for (size_t i = 0; i < n; i++) {
		double y = top + rowh * (double)i;
		double cy = y + rowh / 2;
		if (i % 2)
			wn_buf_addf(b, "<rect class=\"zebra\" x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\"/>", y, W,
				    rowh);
		wn_buf_addf(b, "<text class=\"lb\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"><title>", LW - 8, cy + 4);
		wn_svg_text(b, rows[i].label);
		wn_buf_adds(b, "</title>");
		text_cut(b, rows[i].label, 34);
		wn_buf_adds(b, "</text>");
		double x = LW;
		for (int s = 0; s < nseries; s++) {
			double v = rows[i].seg[s] > 0 ? rows[i].seg[s] : 0;
			double w = BW * v / max;
			if (v > 0 && w < 1)
				w = 1; /* a non-zero count stays visible */
			double by = stacked ? cy - barh / 2 : y + 6 + 8.0 * s;
			if (v > 0) {
				wn_buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
					    x, by, w, barh, series[s].color);
				wn_svg_text(b, series[s].name);
				wn_buf_addf(b, ": %.0f</title></rect>", v);
			}
			if (stacked)
				x += w;
		}
		if (rows[i].note) {
			wn_buf_addf(b, "<text class=\"nt\" x=\"%.1f\" y=\"%.1f\">", LW + BW + 10, cy + 4);
			wn_svg_text(b, rows[i].note);
			wn_buf_adds(b, "</text>");
		}
	}
	wn_buf_addf(b, "<line class=\"ax\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", LW, top - 2, LW, H - 4);
	wn_buf_adds(b, "</svg>\n");
}

/* A "nice" axis maximum: 1, 2 or 5 times a power of ten, >= v. */
static double nice_ceil(double v)
{
	if (v <= 0)
		return 1;
	double p = pow(10, floor(log10(v)));
	for (double m = 1; m <= 10; m = m == 1 ? 2 : m == 2 ? 5 : 10)
		if (m * p >= v)
			return m * p;
	return 10 * p;
}

void wn_svg_columns(struct wn_buf *b, const char *title, const char *const *labels, size_t nbuckets,
		    const double *values, const struct wn_svg_series *series, int nseries, int log_y,
		    const char *xlabel, const char *ylabel)
{
	const double L = 64, R = 16, T = 30, B = 46, H = 300;
	const double pw = W - L - R, ph = H - T - B;
	double max = 0;
	for (size_t i = 0; i < nbuckets * (size_t)nseries; i++)
		if (values[i] > max)
			max = values[i];
	/* log scale: s(v) = 1 + log10(v) for v >= 1, s(0) = 0, so a count of 1
	 * still shows and the tick at t units is exactly 10^(t-1) */
	double top = log_y ? (max >= 1 ? floor(log10(max)) + 2 : 1) : nice_ceil(max);
	if (top <= 0)
		top = 1;
	wn_buf_addf(b, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>", W, H);
	wn_svg_text(b, title);
	wn_buf_adds(b, "</title>");
	if (nseries > 1)
		legend(b, series, nseries, L, 16);
	/* y grid and ticks */
	int nt = log_y ? (int)top : 5;
	if (nt < 1)
		nt = 1;
	for (int t = 0; t <= nt; t++) {
		double v = top * t / nt, y = T + ph - ph * t / nt;
		wn_buf_addf(b, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", L, y, L + pw, y);
		wn_buf_addf(b, "<text class=\"tk\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", L - 6, y + 4);
		fmt_short(b, log_y ? (t == 0 ? 0 : pow(10, v - 1)) : v);
		wn_buf_adds(b, "</text>");
	}
	double bw = pw / (double)(nbuckets ? nbuckets : 1);
	if (bw > 90)
		bw = 90; /* a few buckets: narrow columns read better than slabs */
	double cw = bw * 0.8 / nseries;
	size_t every = nbuckets > 24 ? (nbuckets + 23) / 24 : 1;
	for (size_t i = 0; i < nbuckets; i++) {
		double x0 = L + bw * (double)i + bw * 0.1;
		for (int s = 0; s < nseries; s++) {
			double v = values[i * (size_t)nseries + (size_t)s];
			if (v <= 0)
				continue;
			double h = ph * (log_y ? (v >= 1 ? 1 + log10(v) : 0) : v) / top;
			if (h < 1)
				h = 1;
			wn_buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
				    x0 + cw * s, T + ph - h, cw, h, series[s].color);
			wn_svg_text(b, series[s].name);
			wn_buf_adds(b, ", ");
			wn_svg_text(b, labels[i]);
			wn_buf_addf(b, ": %.0f</title></rect>", v);
		}
		if (i % every == 0) {
			wn_buf_addf(b, "<text class=\"tk\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
				    L + bw * ((double)i + 0.5), T + ph + 16);
			text_cut(b, labels[i], 8);
			wn_buf_adds(b, "</text>");
		}
	}
	wn_buf_addf(b, "<line class=\"ax\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", L, T + ph, L + pw, T + ph);
	if (xlabel) {
		wn_buf_addf(b, "<text class=\"axl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", L + pw / 2, H - 6);
		wn_svg_text(b, xlabel);
		wn_buf_adds(b, "</text>");
	}
	if (ylabel) {
		wn_buf_addf(b, "<text class=\"axl\" x=\"14\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.1f)\">",
			    T + ph / 2, T + ph / 2);
		wn_svg_text(b, ylabel);
		wn_buf_adds(b, "</text>");
	}
	wn_buf_adds(b, "</svg>\n");
}

void wn_svg_split(struct wn_buf *b, const char *title, const double *parts, const struct wn_svg_series *series,
		  int nparts)
{
	const double L = 0, BW = W, H = 58, y = 26, h = 26;
	wn_buf_addf(b, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>", W, H);
	wn_svg_text(b, title);
	wn_buf_adds(b, "</title>");
	legend(b, series, nparts, 0, 16);
	double x = L;
	for (int i = 0; i < nparts; i++) {
		double w = parts[i] > 0 ? BW * parts[i] : 0;
		if (x + w > L + BW)
			w = L + BW - x;
		if (w <= 0)
			continue;
		wn_buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>", x, y, w,
			    h, series[i].color);
		wn_svg_text(b, series[i].name);
		wn_buf_addf(b, ": %.2f%%</title></rect>", 100 * parts[i]);
		if (w > 60) {
			wn_buf_addf(b, "<text class=\"in\" x=\"%.1f\" y=\"%.1f\">%.1f%%</text>", x + 6, y + 18,
				    100 * parts[i]);
		}
		x += w;
	}
	wn_buf_adds(b, "</svg>\n");
}
