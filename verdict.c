/* verdict.c - the status of a run, decided in one place. */
#include <stdio.h>
#include <string.h>

#include "verdict.h"

const char *
verdict_status_name(enum status s)
{
	static const char *const names[] = { "OK", "WARNING", "CRITICAL",
	    "UNKNOWN" };

	return (unsigned)s < 4 ? names[s] : "UNKNOWN";
}

/* The failure that decides the run: the first one recorded. */
static const struct failure *
first_error(const struct result *r)
{
	return r->nerrors > 0 ? &r->errors[0] : NULL;
}

static enum status
status_of_failure(const struct result *r, const struct failure *f)
{
	switch (f->class) {
	case FAIL_USAGE:
	case FAIL_LOCAL:
		return STATUS_UNKNOWN;
	case FAIL_NOT_RETURNED:
		return STATUS_CRITICAL;
	default:
		break;
	}
	/* IMAP trouble: the mailbox, not the server under test, failed. */
	if (strncmp(f->stage, "imap", 4) == 0)
		return r->smtp.delivered && f->class == FAIL_TIMEOUT ?
		    STATUS_CRITICAL : STATUS_UNKNOWN;
	return STATUS_CRITICAL;
}

void
verdict_decide(struct result *r)
{
	const struct failure *f = first_error(r);

	if (r->rt.returned) {
		r->status = STATUS_OK;
		snprintf(r->summary, sizeof(r->summary), "round trip %.3f s "
		    "via %s", (double)r->rt.rtt_ms / 1000.0,
		    r->smtp_attempt ? r->smtp_attempt->host : "?");
	} else if (f != NULL) {
		r->status = status_of_failure(r, f);
		snprintf(r->summary, sizeof(r->summary), "%s", f->message);
	} else {
		r->status = STATUS_UNKNOWN;
		snprintf(r->summary, sizeof(r->summary), "the run ended "
		    "without a result");
	}
	r->exit_code = (int)r->status;
}
