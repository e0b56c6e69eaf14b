/*
 * verdict.h - what happened, turned into a status and an exit code.
 *
 * The only place that maps failures to Nagios states:
 *   OK        the copy came back;
 *   CRITICAL  the server refused or failed the delivery, or no copy came
 *             back before the deadline;
 *   UNKNOWN   the probe could not judge: bad usage, a local error, or the
 *             return mailbox could not be read (nothing says the server
 *             under test is at fault).
 * Thresholds raise the status further: a certificate that expires within
 * --cert-warn / --cert-crit days makes a run WARNING / CRITICAL.
 */
#ifndef MAILIVE_VERDICT_H
#define MAILIVE_VERDICT_H

#include "result.h"

/* Set status, exit_code and summary from the record. */
void	 verdict_decide(struct result *);

const char *verdict_status_name(enum status);

#endif
