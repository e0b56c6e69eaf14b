/*
 * net.h - one TCP connection with a bounded, deadline-aware line reader.
 *
 * Every connect, read and write waits at most what the run's deadline has
 * left (poll(2) on a non-blocking socket), so a silent or slow peer - even
 * one that sends a byte at a time - cannot hold the probe past --timeout.
 * Lines longer than the caller's buffer are an error, not a truncation.
 * After conn_start_tls() the same calls go through TLS.
 *
 * Error contract: 0 on success, -1 with the struct failure filled in
 * (class FAIL_CONNECT, FAIL_TIMEOUT, FAIL_PROTOCOL or FAIL_TLS; the stage
 * is the caller's, passed in).
 */
#ifndef MAILIVE_NET_H
#define MAILIVE_NET_H

#include <sys/socket.h>

#include <stddef.h>

#include "deadline.h"
#include "failure.h"
#include "tls.h"

struct conn;

/*
 * Connect to sa within the deadline, optionally from the local address
 * bind_sa (NULL: any).  The failure names the address and the reason.
 */
struct conn *conn_open(const struct sockaddr *sa, socklen_t salen,
	    const struct sockaddr *bind_sa, socklen_t bind_salen,
	    const struct deadline *, const char *stage, struct failure *);

/*
 * Read one line, without its CRLF (a bare LF is accepted), into line of
 * size linesz.  A line that does not fit, or holds a NUL byte, fails with
 * FAIL_PROTOCOL; a close by the peer before a full line fails with
 * FAIL_PROTOCOL "connection closed".
 */
int	 conn_read_line(struct conn *, char *line, size_t linesz,
	    const struct deadline *, const char *stage, struct failure *);

/* Write all of buf. */
int	 conn_write(struct conn *, const void *buf, size_t len,
	    const struct deadline *, const char *stage, struct failure *);

/*
 * Our end of the connection as an SMTP address literal, "[192.0.2.7]" or
 * "[IPv6:2001:db8::7]" (RFC 5321 4.1.3), for EHLO when this host has no
 * fully qualified name.
 */
void	 conn_local_literal(const struct conn *, char *out, size_t outsz);

/* Bytes received but not yet consumed by conn_read_line. */
size_t	 conn_pending(const struct conn *);

/* Drop the received but unconsumed bytes (used before a TLS handshake). */
void	 conn_discard_pending(struct conn *);

/* Switch the connection to TLS; the handshake is bounded by the deadline. */
int	 conn_start_tls(struct conn *, const struct tls_params *,
	    const char *host, const struct deadline *, struct tls_facts *,
	    struct failure *);

/* Whether the connection runs over TLS now. */
int	 conn_is_tls(const struct conn *);

/* Close (TLS close_notify without waiting) and free; NULL is allowed. */
void	 conn_close(struct conn *);

#endif
