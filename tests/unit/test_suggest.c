/* hs_edit_distance and hs_suggest_near: the suggestion rule of hearsayd and hearsay-sim. */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "overlay/suggest.h"

static void test_distance(void)
{
	CHECK_EQ(hs_edit_distance("", ""), 0u);
	CHECK_EQ(hs_edit_distance("eager_push", "eager_push"), 0u);
	CHECK_EQ(hs_edit_distance("eagerpush", "eager_push"), 1u);  /* one insertion */
	CHECK_EQ(hs_edit_distance("eager-push", "eager_push"), 1u); /* one substitution */
	CHECK_EQ(hs_edit_distance("kitten", "sitting"), 3u);
	CHECK_EQ(hs_edit_distance("abc", ""), 3u);
	CHECK_EQ(hs_edit_distance("", "abcd"), 4u);
	char longname[66];
	memset(longname, 'a', 65);
	longname[65] = '\0';
	CHECK_EQ(hs_edit_distance(longname, "a"), SIZE_MAX);
}

static void test_near(void)
{
	CHECK(hs_suggest_near("eagerpush", 1));
	CHECK(hs_suggest_near("ab", 2)); /* two letters are always allowed */
	CHECK(!hs_suggest_near("ab", 3));
	CHECK(hs_suggest_near("pull_interval_ms", 5)); /* a third of 16 */
	CHECK(!hs_suggest_near("pull_interval_ms", 6));
}

int main(void)
{
	RUN(test_distance);
	RUN(test_near);
	return hs_test_done();
}
