/* Suggestions for a misspelt name (see overlay/suggest.h). */
#include <stdint.h>
#include <string.h>

#include "overlay/suggest.h"

#define NAME_MAX_LEN 64

size_t hs_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[NAME_MAX_LEN + 1];
	if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

bool hs_suggest_near(const char *name, size_t d)
{
	size_t n = strlen(name), allowed = n / 3 > 2 ? n / 3 : 2;
	return d <= allowed;
}
