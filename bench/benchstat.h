/*
 * What every benchmark reports the same way: median, min and max over its rounds, and the
 * machine's CPU model for the record.
 */
#ifndef HS_BENCHSTAT_H
#define HS_BENCHSTAT_H

#include <stddef.h>

/* The most rounds a benchmark may summarise. */
#define BENCH_ROUNDS_MAX 64

/* Over v[0..n), 1 <= n <= BENCH_ROUNDS_MAX. */
double bench_median(const double *v, size_t n);
double bench_min(const double *v, size_t n);
double bench_max(const double *v, size_t n);

/* The CPU's model name from /proc/cpuinfo (empty if unknown), safe inside a JSON string. */
void bench_cpu_model(char *out, size_t cap);

#endif
