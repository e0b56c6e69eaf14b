/* verdict.c - the status of a run, decided in one place. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
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

/* Severity for combining states: CRITICAL > UNKNOWN > WARNING > OK. */
static int
severity(enum status s)
{
	static const int rank[] = { 0, 1, 3, 2 };

	return (unsigned)s < 4 ? rank[s] : 2;
}

static void
raise_to(struct result *r, enum status s, const char *stage,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Record a threshold finding and raise the status to at least s. */
static void
raise_to(struct result *r, enum status s, const char *stage,
    const char *fmt, ...)
{
	struct failure *w;
	va_list ap;

	if (r->nwarnings == RESULT_MAX_ERRORS)
		return;
	w = &r->warnings[r->nwarnings++];
	failure_clear(w);
	copy_string(w->stage, sizeof(w->stage), stage);
	va_start(ap, fmt);
	vsnprintf(w->message, sizeof(w->message), fmt, ap);
	va_end(ap);
	if (severity(s) > severity(r->status)) {
		r->status = s;
		snprintf(r->summary, sizeof(r->summary), "%s", w->message);
	}
}

/* --cert-warn / --cert-crit against the certificate that was seen. */
static void
check_certificate(struct result *r)
{
	const struct options *o = r->opts;
	const struct tls_facts *t = &r->smtp.tls;
	const char *host = r->smtp_attempt ? r->smtp_attempt->host : "?";

	if (r->smtp_attempt == NULL || !r->smtp.tls_used || !t->have_cert)
		return;
	if (o->cert_crit_days >= 0 && t->days_left <= o->cert_crit_days)
		raise_to(r, STATUS_CRITICAL, "tls-certificate", "the "
		    "certificate of %s %s %d day%s (--cert-crit %d)", host,
		    t->days_left < 0 ? "expired" : "expires in",
		    abs(t->days_left), abs(t->days_left) == 1 ? "" : "s",
		    o->cert_crit_days);
	else if (o->cert_warn_days >= 0 && t->days_left <= o->cert_warn_days)
		raise_to(r, STATUS_WARNING, "tls-certificate", "the "
		    "certificate of %s %s %d day%s (--cert-warn %d)", host,
		    t->days_left < 0 ? "expired" : "expires in",
		    abs(t->days_left), abs(t->days_left) == 1 ? "" : "s",
		    o->cert_warn_days);
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
	check_certificate(r);
	r->exit_code = (int)r->status;
}
