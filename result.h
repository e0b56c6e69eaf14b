/*
 * result.h - the one record of a run.
 *
 * Each stage of the pipeline adds its part; the verdict decides the status
 * from it; every output format renders it and nothing else, so text and
 * JSON always tell the same story.
 */
#ifndef MAILIVE_RESULT_H
#define MAILIVE_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "failure.h"
#include "message.h"
#include "options.h"
#include "plan.h"
#include "smtp.h"

#define RESULT_MAX_ATTEMPTS	32
#define RESULT_MAX_ERRORS	16

enum status {
	STATUS_OK = 0,
	STATUS_WARNING = 1,
	STATUS_CRITICAL = 2,
	STATUS_UNKNOWN = 3
};

/* One SMTP session with one address of one host. */
struct attempt {
	char		host[DNS_NAME_MAX];
	char		address[FAIL_ADDR_MAX];
	int		port;
	int		delivered;
	char		stage[FAIL_STAGE_MAX];	/* the last phase started */
	int64_t		elapsed_ms;
	struct failure	failure;		/* class FAIL_NONE if delivered */
};

struct roundtrip {
	int		returned;	/* the copy was found in the mailbox */
	int		as_reply;	/* an auto-responder's answer, not a copy */
	int64_t		rtt_ms;		/* accepted by the server -> seen */
	int64_t		accepted_wall_ms;
	int64_t		detected_wall_ms;
	unsigned long	uid;
	int		polls;
	int		deleted;
	size_t		returned_size;	/* bytes of the copy as fetched */
};

struct result {
	const struct options	*opts;		/* what was asked (read-only) */
	char			 token[MESSAGE_TOKEN_MAX];
	char			 domain[DNS_NAME_MAX]; /* of --to */
	int64_t			 started_wall_ms;
	int64_t			 elapsed_ms;
	size_t			 message_size;

	int64_t			 dns_ms;	/* -1: no lookup was made */
	struct plan		 plan;		/* the hosts, in order of use */

	struct attempt		 attempts[RESULT_MAX_ATTEMPTS];
	size_t			 nattempts;	/* SMTP sessions and skipped hosts */
	int			 smtp_sessions;	/* SMTP sessions begun */
	struct smtp_outcome	 smtp;		/* the delivering (or last) one */
	struct attempt		*smtp_attempt;	/* its attempt; NULL: none */

	struct roundtrip	 rt;

	struct failure		 errors[RESULT_MAX_ERRORS];
	size_t			 nerrors;
	struct failure		 warnings[RESULT_MAX_ERRORS]; /* thresholds */
	size_t			 nwarnings;

	enum status		 status;
	int			 exit_code;
	char			 summary[512];	/* the one-line verdict */
};

/* Append a failure to the errors list (the last slot is reused if full). */
void	 result_add_error(struct result *, const struct failure *);

#endif
