/*
 * imap_poll.h - wait for the returned copy in the return mailbox (libcurl).
 *
 * One libcurl easy handle is kept for the whole run, so the probe logs in
 * once and every poll reuses that connection.  imap_open() logs in and
 * selects the mailbox before anything is sent, so a wrong password is found
 * before a probe message is wasted.
 *
 * Error contract: 0 on success, -1 on failure with the struct failure
 * filled in (stage "imap-connect", "imap-login", "imap-select",
 * "imap-search", "imap-fetch", "imap-delete"; class FAIL_AUTH for a refused
 * login, FAIL_TIMEOUT when the deadline passed, FAIL_CONNECT/FAIL_TLS/
 * FAIL_PROTOCOL otherwise).  The password never appears in a failure.
 */
#ifndef MAILIVE_IMAP_POLL_H
#define MAILIVE_IMAP_POLL_H

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "failure.h"

struct imap_params {
	const char	*url;		/* imap[s]://[user@]host[:port]/MAILBOX */
	const char	*user;		/* overrides the URL's user; may be NULL */
	const char	*password;	/* never logged */
	const char	*ca_file;	/* IMAPS trust anchors; NULL: system CAs */
	int64_t		 poll_interval_ms; /* pause between two searches */
	int		 verbose;	/* IMAP dialogue on stderr, login hidden */
};

#define IMAP_MATCH_COPY		1	/* the forwarded copy */
#define IMAP_MATCH_REPLY	2	/* an auto-responder's answer */

struct imap_found {
	int		 found;		/* 1 when the copy was seen */
	int		 match;		/* IMAP_MATCH_COPY or IMAP_MATCH_REPLY */
	unsigned long	 uid;		/* its UID in the mailbox */
	int64_t		 detected_mono_ms; /* when the search first saw it */
	int64_t		 detected_wall_ms;
	int		 polls;		/* searches made */
	char		*message;	/* the fetched copy (malloc'd) or NULL */
	size_t		 message_len;
	int		 deleted;	/* 1 once imap_delete() removed it */
};

struct imap_session;

/* Connect, log in and select the mailbox, within the deadline. */
struct imap_session *imap_open(const struct imap_params *,
	    const struct deadline *, struct failure *);

/*
 * Search for the forwarded copy (its X-Mailive-Token header) or an
 * auto-responder's answer (the token in Subject, In-Reply-To or
 * References) every poll_interval_ms, until found or the deadline; fetch a
 * hit and confirm it on its top-level header (found->match says which).
 * Delivery status reports (bounces) are not counted.  Not found in time is FAIL_NOT_RETURNED (stage
 * "imap-wait").
 */
int	 imap_wait_for_token(struct imap_session *, const char *token,
	    const struct deadline *, struct imap_found *, struct failure *);

/* Delete exactly that UID (UID EXPUNGE where UIDPLUS is offered). */
int	 imap_delete(struct imap_session *, struct imap_found *,
	    const struct deadline *, struct failure *);

/*
 * Log out and free; NULL is allowed.  The LOGOUT waits at most a second
 * and never past the deadline: with no time left the connection is shut
 * down without one.
 */
void	 imap_close(struct imap_session *, const struct deadline *);

/* Free the fetched copy. */
void	 imap_found_free(struct imap_found *);

/*
 * Pure helpers.
 * imap_url_check: 0 when url is imap:// or imaps:// with a host and a
 * mailbox, else -1 with a reason in why.
 * imap_parse_search: the UIDs from an untagged "* SEARCH 1 2 3" response
 * (the response text as curl returns it); returns the count, -1 on garbage.
 */
int	 imap_url_check(const char *url, char *why, size_t whysz);
int	 imap_parse_search(const char *response, size_t len,
	    unsigned long *uids, size_t maxuids);

#endif
