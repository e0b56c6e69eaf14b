/*
 * message.h - the probe message: a unique token and a valid RFC 5322 message
 * that carries it in the Subject, the Message-ID, an X-Mailive-Token header
 * and the body, so it can be found however the forwarder rewrites it.
 */
#ifndef MAILIVE_MESSAGE_H
#define MAILIVE_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

/* 128 bits from OpenSSL's CSPRNG, as 32 lower-case hex digits. */
#define MESSAGE_TOKEN_BYTES	16
#define MESSAGE_TOKEN_MAX	(2 * MESSAGE_TOKEN_BYTES + 1)

/* A MIME part to attach (a generated document, say). */
struct mime_part {
	const char		*content_type;	/* "application/pdf" */
	const char		*filename;
	const unsigned char	*data;
	size_t			 len;
};

struct message_params {
	const char		*from;		/* From: and the Message-ID domain */
	const char		*to;
	const char		*return_address; /* named in the body; may be NULL */
	const char		*token;
	const char		*sender_host;	/* this host, named in the body */
	int64_t			 date_wall_ms;	/* the Date: header */
	const struct mime_part	*parts;		/* attachments; may be NULL */
	size_t			 nparts;
};

/* A fresh token; -1 when the CSPRNG fails (never fall back to rand()). */
int	 message_new_token(char token[MESSAGE_TOKEN_MAX]);

/*
 * The message with CRLF line ends, NUL-terminated, its length in *len;
 * malloc'd, or NULL when out of memory.  With parts it is multipart/mixed,
 * each part base64-encoded.
 */
char	*message_build(const struct message_params *, size_t *len);

#endif
