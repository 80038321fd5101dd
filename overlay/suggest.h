/*
 * Suggestions for a misspelt name (a config key, a simulator flag): the one edit distance and
 * the one "near enough" rule both programs use, so they suggest alike.
 */
#ifndef HEARSAY_SUGGEST_H
#define HEARSAY_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

/* Levenshtein distance between two names; SIZE_MAX if either is over 64 characters. */
size_t hs_edit_distance(const char *a, const char *b);
/* Whether a candidate at distance d from name is worth suggesting: at most a third of the
 * name's letters wrong, and two at least. */
bool hs_suggest_near(const char *name, size_t d);

#endif
