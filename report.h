/*
 * report.h - render the result record as text or JSON on stdout.
 *
 * The report decides nothing: it shows what the record holds.  Text is for
 * people (peer text sanitized); JSON (cJSON) is for scripts, with keys that
 * stay stable: status, exit_code, token, target, attempts, smtp,
 * roundtrip, errors (see mailive(1), JSON OUTPUT).
 */
#ifndef MAILIVE_REPORT_H
#define MAILIVE_REPORT_H

#include <stdio.h>

#include "result.h"

void	 report_text(FILE *, const struct result *);
/* Returns -1 when out of memory (nothing printed). */
int	 report_json(FILE *, const struct result *);

/* The queue id in a final reply ("queued as X", "id=X"), or "" if none. */
void	 report_queue_id(const char *reply, char *out, size_t outsz);

#endif
