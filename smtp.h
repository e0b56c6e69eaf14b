/*
 * smtp.h - one SMTP client session: deliver one message to one address.
 *
 * smtp_deliver() connects, reads the greeting, says EHLO (HELO when EHLO is
 * refused), runs STARTTLS as the TLS mode asks, sends MAIL, RCPT, DATA and
 * the message, and QUITs.  Every phase is timed with the monotonic clock and
 * bounded by the run's deadline; every reply line is length-bounded and every
 * reply line-count-bounded.  The session knows nothing of DNS, failover or
 * output formats: the caller decides what a failure means.
 *
 * Error contract: 0 when the server accepted the message (a failed QUIT does
 * not change that), -1 with the struct failure filled in otherwise - stage
 * is the phase that failed ("connect", "greeting", "ehlo", "starttls",
 * "tls-handshake", "mail", "rcpt", "data", "message"), class FAIL_TEMPORARY
 * for 4xx and FAIL_PERMANENT for 5xx, with the server's code and text.
 */
#ifndef MAILIVE_SMTP_H
#define MAILIVE_SMTP_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "failure.h"
#include "tls.h"

/*
 * RFC 5321 4.5.3.1.5 allows 512 octets per reply line; real servers send
 * longer ones (long banners, huge EHLO lists), so we accept four times that
 * and refuse anything longer as a protocol error rather than truncate it.
 */
#define SMTP_LINE_MAX		2048
/* No reply needs more lines; a server that keeps sending is broken. */
#define SMTP_REPLY_MAX_LINES	100
#define SMTP_REPLY_TEXT_MAX	4096

enum smtp_tls_mode {
	SMTP_TLS_OFF,		/* never send STARTTLS, even if offered */
	SMTP_TLS_AUTO,		/* STARTTLS if offered, plain text if not */
	SMTP_TLS_ON		/* STARTTLS required */
};

enum smtp_phase {
	SMTP_PH_CONNECT,
	SMTP_PH_GREETING,
	SMTP_PH_EHLO,
	SMTP_PH_STARTTLS,
	SMTP_PH_TLS_HANDSHAKE,
	SMTP_PH_EHLO_TLS,
	SMTP_PH_MAIL,
	SMTP_PH_RCPT,
	SMTP_PH_DATA,
	SMTP_PH_MESSAGE,	/* the message and its final "." */
	SMTP_PH_QUIT,
	SMTP_PH_COUNT
};

/* One reply: its code and the text of every line, joined by '\n'. */
struct smtp_reply {
	int	 code;
	int	 nlines;
	char	 text[SMTP_REPLY_TEXT_MAX];
};

/* What the server said it can do in its EHLO reply. */
struct smtp_caps {
	int		esmtp;		/* EHLO was accepted */
	int		starttls;
	int		pipelining;
	int		eightbitmime;
	int		smtputf8;
	int		chunking;
	int		dsn;
	long long	size;		/* SIZE limit, 0: none given */
	char		auth[128];	/* AUTH mechanisms as offered */
};

struct smtp_params {
	const char		*helo;	/* our name in EHLO/HELO; NULL: our
					   address as a literal */
	const char		*from;	/* envelope sender */
	const char		*to;	/* envelope recipient */
	enum smtp_tls_mode	 tls_mode;
	int			 tls_verify;	/* unverified certificate fails */
	struct tls_params	 tls;
	const char		*message; /* CRLF lines, not dot-stuffed */
	size_t			 message_len;
	int			 verbose; /* dialogue on stderr */
};

/* Where to deliver: one address of one host. */
struct smtp_target {
	const char		*host;	/* name for SNI, certificate check, errors */
	const char		*address; /* the IP as text */
	int			 port;
	const struct sockaddr	*sa;	/* with the port set */
	socklen_t		 salen;
	const struct sockaddr	*bind_sa; /* local address, or NULL */
	socklen_t		 bind_salen;
};

struct smtp_outcome {
	int		 delivered;	/* the final "." got a 2xx */
	enum smtp_phase	 reached;	/* the last phase started */
	int64_t		 phase_us[SMTP_PH_COUNT]; /* -1: not reached */
	int64_t		 total_us;
	int64_t		 accepted_mono_ms; /* when the final 2xx arrived */
	int64_t		 accepted_wall_ms;
	char		 greeting[SMTP_LINE_MAX];
	int		 used_helo;	/* EHLO refused, HELO used */
	struct smtp_caps caps;		/* from the EHLO that preceded MAIL */
	int		 starttls_offered; /* in the first EHLO */
	int		 tls_used;
	size_t		 starttls_discarded; /* bytes injected before TLS */
	struct tls_facts tls;
	int		 final_code;	/* the reply to the final "." */
	char		 final_reply[SMTP_REPLY_TEXT_MAX];
	int		 quit_ok;	/* 221 to QUIT */
};

int	 smtp_deliver(const struct smtp_params *, const struct smtp_target *,
	    const struct deadline *, struct smtp_outcome *, struct failure *);

/* "connect", "greeting", "ehlo", ... as used in JSON and in failures. */
const char *smtp_phase_name(enum smtp_phase);

/*
 * Pure parsers (bytes in, struct out; no I/O).
 * smtp_parse_reply_line: one line without CRLF; sets code, more (1 for
 * "250-", 0 for "250 " or a bare "250") and text (points into line).
 * Returns NULL, or a reason when the line is not a valid reply line.
 */
const char *smtp_parse_reply_line(const char *line, int *code, int *more,
	    const char **text);

/* The capabilities in an EHLO reply (one keyword line per reply line). */
void	 smtp_parse_ehlo(const struct smtp_reply *, struct smtp_caps *);

/*
 * The message as DATA sends it: every line ending in CRLF (bare LF and bare
 * CR become CRLF), a leading '.' doubled (RFC 5321 4.5.2), and the final
 * ".\r\n".  Returns a malloc'd buffer and its length in *outlen, or NULL.
 */
char	*smtp_dot_stuff(const char *msg, size_t len, size_t *outlen);

#endif
