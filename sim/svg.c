/*
 * The coverage-over-time chart as a self-contained SVG (no external tool): one thin grey
 * line per rumor, the mean over rumors in blue, the flood bound's mean coverage dashed red;
 * vertical marks at the delivery latency's p50 and p99 (blue) and the flood bound's (red), and
 * a title with the run's key figures and knobs, so a chart read alone says what it shows.
 */
#include <stdlib.h>

#include "series.h"
#include "sim_impl.h"

#define W         860
#define H         544
#define LEFT      70
#define RIGHT     30
#define TOP       74
#define BOTTOM    60
#define PLOT_W    (W - LEFT - RIGHT)
#define PLOT_H    (H - TOP - BOTTOM)
#define LINES_MAX 200 /* per-rumor lines drawn; the mean covers them all */

static double px(double ms, double xmax)
{
	return LEFT + PLOT_W * (xmax > 0 ? ms / xmax : 0);
}

static double py(double frac)
{
	return TOP + PLOT_H * (1 - frac);
}

/* Only points where the curve changes (and the ends): a step curve loses nothing. */
static void polyline(FILE *f, const struct sim_series *s, const double *v, const char *style)
{
	double xmax = (double)(s->rows - 1) * s->step_ms;
	fprintf(f, "<polyline fill=\"none\" %s points=\"", style);
	for (size_t i = 0; i < s->rows; i++) {
		bool keep = i == 0 || i + 1 == s->rows || v[i] != v[i - 1] || v[i] != v[i + 1];
		if (keep)
			fprintf(f, "%.1f,%.1f ", px((double)i * s->step_ms, xmax), py(v[i]));
	}
	fprintf(f, "\"/>\n");
}

static double nice_step(double span)
{
	static const double mant[] = { 1, 2, 5 };
	for (double scale = 1;; scale *= 10)
		for (unsigned i = 0; i < 3; i++)
			if (span / (mant[i] * scale) <= 10)
				return mant[i] * scale;
}

static void axes(FILE *f, const struct sim_series *s)
{
	double xmax = (double)(s->rows - 1) * s->step_ms;
	fprintf(f,
	        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\" "
	        "stroke=\"#333\"/>\n",
	        LEFT, TOP, PLOT_W, PLOT_H);
	for (int k = 0; k <= 5; k++) {
		double y = py(k / 5.0);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n",
		        LEFT, y, LEFT + PLOT_W, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n", LEFT - 6,
		        y + 4, k / 5.0);
	}
	double step = nice_step(xmax);
	for (double t = 0; t <= xmax + 1e-9; t += step) {
		double x = px(t, xmax);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>\n",
		        x, TOP, x, TOP + PLOT_H);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>\n", x,
		        TOP + PLOT_H + 18, t);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">ms after publish</text>\n",
	        LEFT + PLOT_W / 2, H - 15);
	fprintf(f,
	        "<text transform=\"translate(18,%d) rotate(-90)\" text-anchor=\"middle\">"
	        "fraction of nodes reached</text>\n",
	        TOP + PLOT_H / 2);
}

static void legend(FILE *f)
{
	int x = LEFT + PLOT_W - 190, y = TOP + PLOT_H - 70;
	fprintf(f,
	        "<rect x=\"%d\" y=\"%d\" width=\"180\" height=\"60\" fill=\"#fff\" "
	        "stroke=\"#999\"/>\n",
	        x, y);
	fprintf(f,
	        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1f77b4\" "
	        "stroke-width=\"2.5\"/><text x=\"%d\" y=\"%d\">mean coverage</text>\n",
	        x + 8, y + 15, x + 38, y + 15, x + 44, y + 19);
	fprintf(f,
	        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d62728\" "
	        "stroke-width=\"2\" stroke-dasharray=\"6,4\"/><text x=\"%d\" y=\"%d\">flood "
	        "bound</text>\n",
	        x + 8, y + 32, x + 38, y + 32, x + 44, y + 36);
	fprintf(f,
	        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#bbb\"/>"
	        "<text x=\"%d\" y=\"%d\">one rumor</text>\n",
	        x + 8, y + 49, x + 38, y + 49, x + 44, y + 53);
}

/* A vertical mark at ms (when inside the plot), labelled at the top. */
static void mark(FILE *f, double ms, double xmax, const char *color, const char *dash,
                 const char *label, int row)
{
	if (!(ms >= 0 && ms <= xmax))
		return;
	double x = px(ms, xmax);
	fprintf(f,
	        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
	        "stroke-width=\"1\"%s/>\n",
	        x, TOP, x, TOP + PLOT_H, color, dash);
	fprintf(f, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\" font-size=\"10\">%s %.0f</text>\n", x + 3,
	        TOP + 12 + 12 * row, color, label, ms);
}

int hs_sim_write_svg(FILE *f, const struct hs_sim *sim)
{
	struct sim_series s;
	int err = sim_series_build(&s, sim);
	if (err)
		return err;
	const struct hs_sim_config *c = &sim->cfg;
	fprintf(f,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
	        W, H, W, H);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fafafa\"/>\n", W, H);
	struct hs_sim_report rep;
	hs_sim_get_report(sim, &rep);
	fprintf(f,
	        "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">hearsay-sim: "
	        "%zu nodes, %zu rumors, seed %llu: delivery %.4f, p50 %.0f / p99 %.0f ms, "
	        "p99 %.2f x flood, %.2f copies</text>\n",
	        W / 2, c->nodes, c->rumors, (unsigned long long)c->seed, rep.delivery_ratio,
	        rep.latency_ms.p50, rep.latency_ms.p99, rep.p99_over_flood_p99,
	        rep.payload_copies_per_node);
	fprintf(f,
	        "<text x=\"%d\" y=\"44\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">"
	        "loss %.3f, latency %.0f-%.0f ms; eager-push %zu, eager-cover %zu, outbound %zu, "
	        "peers-max %zu, pull-interval-ms %.0f, lazy-delay-ms %.0f, request-timeout-ms "
	        "%.0f</text>\n",
	        W / 2, c->loss, (double)c->latency_min_ns / 1e6, (double)c->latency_max_ns / 1e6,
	        c->eager_push, c->eager_cover_pct, c->outbound, c->peers_max,
	        (double)c->pull_interval_ns / 1e6, (double)c->lazy_delay_ns / 1e6,
	        (double)c->request_timeout_ns / 1e6);
	axes(f, &s);
	double xmax = (double)(s.rows - 1) * s.step_ms;
	mark(f, rep.flood_bound_ms.p50, xmax, "#d62728", " stroke-dasharray=\"3,3\"", "flood p50",
	     0);
	mark(f, rep.flood_bound_ms.p99, xmax, "#d62728", " stroke-dasharray=\"3,3\"", "flood p99",
	     0);
	mark(f, rep.latency_ms.p50, xmax, "#1f77b4", "", "p50", 1);
	mark(f, rep.latency_ms.p99, xmax, "#1f77b4", "", "p99", 1);
	for (size_t r = 0; r < s.rumors && r < LINES_MAX; r++)
		polyline(f, &s, s.per + r * s.rows, "stroke=\"#bbb\" stroke-width=\"0.7\"");
	polyline(f, &s, s.flood, "stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6,4\"");
	polyline(f, &s, s.mean, "stroke=\"#1f77b4\" stroke-width=\"2.5\"");
	legend(f);
	fprintf(f, "</svg>\n");
	sim_series_free(&s);
	return ferror(f) ? HS_ERR_IO : 0;
}
