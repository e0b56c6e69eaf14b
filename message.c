/*
 * message.c - build the probe message.
 *
 * Deliberately absent: Auto-Submitted and Precedence headers.  RFC 3834
 * auto-responders must not answer auto-submitted mail, and forwarders and
 * filters treat "bulk" mail differently; the probe must look like ordinary
 * mail to measure what ordinary mail experiences.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "message.h"

/* A growing output buffer; any failure sticks, checked once at the end. */
struct out {
	char	*buf;
	size_t	 len, cap;
	int	 failed;
};

static void
out_reserve(struct out *o, size_t more)
{
	char *n;
	size_t cap;

	if (o->failed || o->len + more + 1 <= o->cap)
		return;
	cap = o->cap ? o->cap : 1024;
	while (cap < o->len + more + 1)
		cap *= 2;
	if ((n = realloc(o->buf, cap)) == NULL) {
		o->failed = 1;
		return;
	}
	o->buf = n;
	o->cap = cap;
}

static void
out_printf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->failed = 1;
		return;
	}
	out_reserve(o, (size_t)n);
	if (o->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

int
message_new_token(char token[MESSAGE_TOKEN_MAX])
{
	unsigned char raw[MESSAGE_TOKEN_BYTES];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static void
rfc5322_date(int64_t wall_ms, char *out, size_t outsz)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	/* The C locale is in force: English day and month names. */
	strftime(out, outsz, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static const char *
domain_of(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : "mailive.invalid";
}

static void
text_body(struct out *o, const struct message_params *p, const char *date)
{
	out_printf(o,
	    "This is a round-trip probe sent by mailive from %s\r\n"
	    "at %s to <%s>.\r\n"
	    "\r\n"
	    "The server that received it should forward it back%s%s%s;\r\n"
	    "mailive measures how long that takes and deletes the copy.\r\n"
	    "\r\n"
	    "Token: %s\r\n",
	    p->sender_host, date, p->to,
	    p->return_address ? " to <" : "",
	    p->return_address ? p->return_address : "",
	    p->return_address ? ">" : "", p->token);
}

/* Base64 in lines of 76 characters (RFC 2045 6.8). */
static void
base64_part(struct out *o, const unsigned char *data, size_t len)
{
	unsigned char line[77];
	size_t off;

	for (off = 0; off < len && !o->failed; off += 57) {
		size_t n = len - off < 57 ? len - off : 57;
		int w = EVP_EncodeBlock(line, data + off, (int)n);

		out_printf(o, "%.*s\r\n", w, (const char *)line);
	}
}

static void
multipart_body(struct out *o, const struct message_params *p,
    const char *date)
{
	size_t i;

	out_printf(o, "Content-Type: multipart/mixed; "
	    "boundary=\"=_mailive_%s\"\r\n\r\n"
	    "This is a MIME message.\r\n\r\n"
	    "--=_mailive_%s\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n\r\n", p->token, p->token);
	text_body(o, p, date);
	for (i = 0; i < p->nparts; i++) {
		const struct mime_part *part = &p->parts[i];

		out_printf(o, "\r\n--=_mailive_%s\r\n"
		    "Content-Type: %s; name=\"%s\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n"
		    "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n",
		    p->token, part->content_type, part->filename,
		    part->filename);
		base64_part(o, part->data, part->len);
	}
	out_printf(o, "\r\n--=_mailive_%s--\r\n", p->token);
}

char *
message_build(const struct message_params *p, size_t *len)
{
	struct out o = { 0 };
	char date[64];

	rfc5322_date(p->date_wall_ms, date, sizeof(date));
	out_printf(&o,
	    "Date: %s\r\n"
	    "From: <%s>\r\n"
	    "To: <%s>\r\n"
	    "Subject: mailive round-trip probe %s\r\n"
	    "Message-ID: <mailive.%s@%s>\r\n"
	    "X-Mailive-Token: %s\r\n"
	    "MIME-Version: 1.0\r\n",
	    date, p->from, p->to, p->token, p->token, domain_of(p->from),
	    p->token);
	if (p->nparts == 0) {
		out_printf(&o, "Content-Type: text/plain; charset=us-ascii\r\n"
		    "Content-Transfer-Encoding: 7bit\r\n\r\n");
		text_body(&o, p, date);
	} else
		multipart_body(&o, p, date);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	*len = o.len;
	return o.buf;
}
