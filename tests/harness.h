/*
 * A small test harness: table-friendly CHECK macros that count, report file:line and keep
 * going, and a runner that fails any test which made no assertion (a test that checks
 * nothing is not a test). Each tests/unit/test_<name>.c is one ctest executable:
 *
 *     static void test_roundtrip(void) { CHECK(x == y); }
 *     int main(void) { RUN(test_roundtrip); return hs_test_done(); }
 */
#ifndef HEARSAY_TEST_HARNESS_H
#define HEARSAY_TEST_HARNESS_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hs_test_failed_checks;
static unsigned long hs_test_checks;
static int hs_test_failed_tests;
static int hs_test_count;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		hs_test_checks++;                                                                  \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
			hs_test_failed_checks++;                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long hs_a_ = (long long)(a), hs_b_ = (long long)(b);                          \
		hs_test_checks++;                                                                  \
		if (hs_a_ != hs_b_) {                                                              \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n",       \
			        __FILE__, __LINE__, #a, #b, hs_a_, hs_b_);                         \
			hs_test_failed_checks++;                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_MEM(a, b, n)                                                                         \
	do {                                                                                       \
		hs_test_checks++;                                                                  \
		if (memcmp((a), (b), (n)) != 0) {                                                  \
			fprintf(stderr, "%s:%d: CHECK_MEM failed: %s vs %s (%zu bytes)\n",         \
			        __FILE__, __LINE__, #a, #b, (size_t)(n));                          \
			hs_test_failed_checks++;                                                   \
		}                                                                                  \
	} while (0)

/* Fatal precondition inside a test (e.g. a vector file must exist): report and exit. */
#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		hs_test_checks++;                                                                  \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

#define RUN(fn)                                                                                    \
	do {                                                                                       \
		unsigned long hs_c0_ = hs_test_checks;                                             \
		int hs_f0_ = hs_test_failed_checks;                                                \
		hs_test_count++;                                                                   \
		fn();                                                                              \
		if (hs_test_checks == hs_c0_) {                                                    \
			fprintf(stderr, "FAIL %s: made no assertion\n", #fn);                      \
			hs_test_failed_tests++;                                                    \
		} else if (hs_test_failed_checks != hs_f0_) {                                      \
			fprintf(stderr, "FAIL %s\n", #fn);                                         \
			hs_test_failed_tests++;                                                    \
		} else {                                                                           \
			printf("ok   %s (%lu checks)\n", #fn, hs_test_checks - hs_c0_);            \
		}                                                                                  \
	} while (0)

static inline int hs_test_done(void)
{
	printf("%d tests, %d failed, %lu checks\n", hs_test_count, hs_test_failed_tests,
	       hs_test_checks);
	return hs_test_failed_tests == 0 && hs_test_count > 0 ? 0 : 1;
}

/* Hex helpers for vectors: returns bytes written, or -1 on bad hex or overflow. */
static inline int hs_test_unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex);
	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static inline void hs_test_hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Reads a whole file; NULL if missing. Caller frees. */
static inline char *hs_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = (size_t)n;
	}
	return buf;
}

#endif
