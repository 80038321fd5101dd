/*
 * sim/: coverage over time — for each rumor, the fraction of nodes that had it t ms after its
 * publish (the origin counts from t = 0), sampled every step_ms; the mean over rumors; and the
 * same mean for the flood bound. Shared by the CSV and the SVG chart.
 */
#ifndef HEARSAY_SIM_SERIES_H
#define HEARSAY_SIM_SERIES_H

#include <stddef.h>

#include "sim.h"

struct sim_series {
	size_t rows, rumors;
	double step_ms;
	double *mean;  /* [rows] */
	double *flood; /* [rows]: mean coverage of the flood bound */
	double *per;   /* [rumor * rows + row] */
};

HS_MUST_USE int sim_series_build(struct sim_series *s, const struct hs_sim *sim);
void sim_series_free(struct sim_series *s);

#endif
