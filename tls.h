/*
 * tls.h - a TLS client session on an already connected socket (OpenSSL).
 *
 * smtp.c calls tls_handshake() after a 220 answer to STARTTLS; the session
 * then carries every read and write of the connection (net.c).  The
 * handshake and every read and write are bounded by the run's deadline.
 * The certificate is always examined and its verification result recorded;
 * whether a failed verification fails the run is the caller's decision.
 *
 * Error contract: 0 / non-NULL on success; -1 / NULL on failure with the
 * struct failure filled in (class FAIL_TLS or FAIL_TIMEOUT, stage
 * "tls-handshake" or the stage given by the caller), OpenSSL's reason in
 * words.
 */
#ifndef MAILIVE_TLS_H
#define MAILIVE_TLS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "failure.h"

#define TLS_TEXT_MAX	512
#define TLS_SAN_MAX	100	/* certificates of shared hosts list many */

struct tls_params {
	const char	*ca_file;	/* trust anchors; NULL: the system's */
	int		 min_version;	/* TLS1_2_VERSION unless --tls-min says */
};

/* What the administrator wants to know about the session and certificate. */
struct tls_facts {
	char	 version[16];		/* "TLSv1.3" */
	char	 cipher[64];
	int	 cipher_bits;
	int	 have_cert;
	char	 subject[TLS_TEXT_MAX];
	char	 issuer[TLS_TEXT_MAX];
	char	 sans[TLS_SAN_MAX][256];
	int	 nsans;
	char	 not_before[32];	/* ISO 8601 UTC */
	char	 not_after[32];
	int	 days_left;		/* until not_after; negative if expired */
	char	 sha256[96];		/* AA:BB:... */
	int	 verified;		/* chain and host name both good */
	int	 hostname_match;	/* the name we connected to is in the cert */
	char	 verify_result[128];	/* OpenSSL's words, "ok" when verified */
};

struct tls_session;

/*
 * Handshake as a client on fd (blocking or not; it is made non-blocking),
 * sending host as SNI (unless host is an IP literal) and checking the
 * certificate against it.  Fills facts on success.
 */
struct tls_session *tls_handshake(int fd, const struct tls_params *,
	    const char *host, const struct deadline *, struct tls_facts *,
	    struct failure *);

/*
 * Read up to len bytes: >0 bytes read, 0 on a clean close by the peer,
 * -1 on error or timeout (failure filled in, stage left to the caller).
 */
ssize_t	 tls_read(struct tls_session *, void *, size_t,
	    const struct deadline *, struct failure *);

/* Write all len bytes, or -1 with failure filled in. */
int	 tls_write(struct tls_session *, const void *, size_t,
	    const struct deadline *, struct failure *);

/* Bytes already decrypted and waiting inside OpenSSL. */
size_t	 tls_pending(struct tls_session *);

/* Send close_notify without waiting for the peer's, and free. */
void	 tls_close(struct tls_session *);

/* "1.2" / "1.3" into an OpenSSL version constant; -1 if unknown. */
int	 tls_parse_version(const char *);

#endif
