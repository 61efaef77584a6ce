/* fuzz_json.h - the check the detail fuzzers share: a result dumps and loads back equal. */
#ifndef FH_FUZZ_JSON_H
#define FH_FUZZ_JSON_H

#include <stdlib.h>

#include <jansson.h>

/* Aborts unless j dumps, and the dump loads back (with load_flags) equal to j. */
static void fuzz_roundtrip(json_t *j, size_t load_flags)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_t *back;

	if (!s)
		abort();
	back = json_loads(s, load_flags, NULL);
	if (!back || !json_equal(j, back))
		abort();
	json_decref(back);
	free(s);
}

#endif /* FH_FUZZ_JSON_H */
