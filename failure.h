/*
 * failure.h - one failure taxonomy for every stage of a run.
 *
 * A failure says what kind of thing went wrong (class), where (stage, host,
 * address, port), what the server answered (code and reply text, if any),
 * and a sentence for the user.  Failover asks one question of it -
 * failure_is_temporary() - and the verdict maps classes to exit codes in one
 * switch (verdict.c).  Modules fill a struct failure; only the report prints.
 *
 * Error contract for every module: functions return 0 on success and -1 on
 * failure, in which case the struct failure * they were given is filled in.
 */
#ifndef MAILIVE_FAILURE_H
#define MAILIVE_FAILURE_H

#include <stdarg.h>

enum fail_class {
	FAIL_NONE = 0,
	FAIL_USAGE,		/* bad options or input: nothing was sent */
	FAIL_LOCAL,		/* this machine: memory, files, libraries */
	FAIL_DNS,		/* the name could not be resolved */
	FAIL_CONNECT,		/* TCP connect refused, unreachable, reset */
	FAIL_TIMEOUT,		/* the deadline passed while waiting */
	FAIL_TEMPORARY,		/* the server answered 4xx */
	FAIL_PERMANENT,		/* the server answered 5xx */
	FAIL_TLS,		/* STARTTLS missing or refused, handshake failed */
	FAIL_PROTOCOL,		/* the peer broke the protocol (garbage, drop) */
	FAIL_AUTH,		/* the return mailbox refused our login */
	FAIL_NOT_RETURNED	/* sent, but no copy came back in time */
};

#define FAIL_STAGE_MAX	 24
#define FAIL_HOST_MAX	 256
#define FAIL_ADDR_MAX	 64
#define FAIL_REPLY_MAX	 1024
#define FAIL_MESSAGE_MAX 1024

struct failure {
	enum fail_class	class;
	char		stage[FAIL_STAGE_MAX];	/* "connect", "rcpt", "imap-login" */
	char		host[FAIL_HOST_MAX];	/* name as the user or DNS gave it */
	char		address[FAIL_ADDR_MAX];	/* the IP actually used, if any */
	int		port;			/* 0 when not applicable */
	int		code;			/* server reply code, 0 if none */
	char		reply[FAIL_REPLY_MAX];	/* server reply text, sanitized */
	char		message[FAIL_MESSAGE_MAX]; /* what happened and what to do */
};

/* Reset to "no failure". */
void	 failure_clear(struct failure *);

/*
 * Record a failure of the given class at stage, with a printf-style message.
 * Host, address, port and reply are left as they were, so a caller can set
 * the place once and let lower layers fill in what went wrong.
 */
void	 failure_set(struct failure *, enum fail_class, const char *stage,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Name the stage (lower layers leave it to the caller). */
void	 failure_stage(struct failure *, const char *stage);

/* Where the failure happened. */
void	 failure_where(struct failure *, const char *host, const char *address,
	    int port);

/* The server's reply that caused it. */
void	 failure_reply(struct failure *, int code, const char *text);

/*
 * Should a real MTA try the next host?  Connect failures, timeouts, 4xx,
 * TLS failures and dropped sessions are temporary; 5xx and local or usage
 * errors are not.
 */
int	 failure_is_temporary(const struct failure *);

/* A short lower-case name for the class ("connect", "permanent", ...). */
const char *failure_class_name(enum fail_class);

#endif
