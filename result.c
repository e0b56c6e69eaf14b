/* result.c - filling the run's record. */
#include "result.h"

void
result_add_error(struct result *r, const struct failure *f)
{
	size_t slot = r->nerrors < RESULT_MAX_ERRORS ? r->nerrors++ :
	    RESULT_MAX_ERRORS - 1;

	r->errors[slot] = *f;
}
