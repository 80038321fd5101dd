/* Coverage over time (see series.h). */
#include <stdlib.h>
#include <string.h>

#include "series.h"
#include "sim_impl.h"

#define ROWS_MAX 2000

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The smallest 1-2-5 step (ms) that covers max_ns in at most ROWS_MAX rows. */
static double pick_step(uint64_t max_ns)
{
	static const double mant[] = { 1, 2, 5 };
	for (double scale = 1;; scale *= 10)
		for (unsigned i = 0; i < 3; i++)
			if ((double)max_ns / 1e6 / (mant[i] * scale) < ROWS_MAX - 1)
				return mant[i] * scale;
}

/* Sorted finite values of v[0..n) into out; returns how many. */
static size_t sorted_finite(const uint64_t *v, size_t n, uint64_t *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] != SIM_NEVER)
			out[k++] = v[i];
	qsort(out, k, sizeof(*out), cmp_u64);
	return k;
}

/* cov[i] = fraction of the n nodes whose time (sorted t[0..k)) is <= i * step. */
static void sweep(const uint64_t *t, size_t k, size_t n, double step_ms, size_t rows, double *cov)
{
	size_t j = 0;
	for (size_t i = 0; i < rows; i++) {
		double at_ns = (double)i * step_ms * 1e6;
		while (j < k && (double)t[j] <= at_ns)
			j++;
		cov[i] = (double)j / (double)n;
	}
}

int sim_series_build(struct sim_series *s, const struct hs_sim *sim)
{
	memset(s, 0, sizeof(*s));
	size_t n = sim->cfg.nodes, R = sim->cfg.rumors;
	uint64_t max = 0;
	for (size_t i = 0; i < R * n; i++)
		if (sim->deliver_ns[i] != SIM_NEVER && sim->deliver_ns[i] > max)
			max = sim->deliver_ns[i];
	s->step_ms = pick_step(max);
	s->rows = (size_t)((double)max / 1e6 / s->step_ms) + 2;
	s->rumors = R;
	s->mean = calloc(s->rows, sizeof(double));
	s->flood = calloc(s->rows, sizeof(double));
	s->per = calloc(s->rows * R, sizeof(double));
	double *tmp = calloc(s->rows, sizeof(double));
	uint64_t *t = malloc(n * sizeof(uint64_t));
	if (!s->mean || !s->flood || !s->per || !tmp || !t) {
		free(tmp);
		free(t);
		sim_series_free(s);
		return HS_ERR_NOMEM;
	}
	for (size_t r = 0; r < R; r++) {
		double *cov = s->per + r * s->rows;
		size_t k = sorted_finite(sim->deliver_ns + r * n, n, t);
		sweep(t, k, n, s->step_ms, s->rows, cov);
		k = sorted_finite(sim->flood_ns + r * n, n, t);
		sweep(t, k, n, s->step_ms, s->rows, tmp);
		for (size_t i = 0; i < s->rows; i++) {
			s->mean[i] += cov[i] / (double)R;
			s->flood[i] += tmp[i] / (double)R;
		}
	}
	free(tmp);
	free(t);
	return 0;
}

void sim_series_free(struct sim_series *s)
{
	free(s->mean);
	free(s->flood);
	free(s->per);
	memset(s, 0, sizeof(*s));
}
