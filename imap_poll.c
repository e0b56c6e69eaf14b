/*
 * imap_poll.c - wait for the returned copy in the return mailbox (libcurl).
 *
 * One easy handle per run.  The first perform (imap_open) connects, logs in,
 * selects the mailbox and asks for CAPABILITY; every later perform reuses
 * that connection, and libcurl sends no new SELECT while the mailbox stays
 * selected.  Every perform is bounded by what is left of the run's deadline.
 *
 * The trace callback is always installed: it prints the dialogue only when
 * verbose, but it always notes how far the session got (connect, login,
 * select, command) and the server's last tagged answer, so that a failure
 * can name the stage that broke and quote what the server said.
 *
 * The caller owns curl_global_init()/curl_global_cleanup().
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sys/socket.h>

#include <curl/curl.h>

#include "imap_poll.h"
#include "util.h"

#define IMAP_URL_MAX		2048	/* no sane mailbox URL is longer */
#define IMAP_HOST_MAX		253	/* longest DNS name */
#define IMAP_USER_MAX		512
#define IMAP_TOKEN_MAX		128	/* mailive's tokens are far shorter */
#define IMAP_RESPONSE_MAX	(1024 * 1024)	/* SEARCH, STORE, CAPABILITY */
#define IMAP_MESSAGE_MAX	(32 * 1024 * 1024) /* one fetched copy */
#define IMAP_UIDS_MAX		64	/* candidates looked at per search */
#define IMAP_REJECTED_MAX	64	/* fetched, but not carrying our token */
#define IMAP_POLL_DEFAULT_MS	1000
#define IMAP_POLL_MIN_MS	10	/* a misconfigured probe must not spin */
#define IMAP_STALL_MS		2000	/* a search this slow is a stalled server */
#define IMAP_CLOSE_TIMEOUT_MS	1000L	/* NOOP, then LOGOUT, at imap_close() */
#define IMAP_TRACE_LINE_MAX	512	/* longer trace lines are cut */
#define IMAP_SHOW_MAX		160	/* server text quoted in a message */
#define TOKEN_HEADER		"X-Mailive-Token"
/*
 * The forwarded copy carries the token header; an auto-responder's answer
 * carries the token in its Subject ("Auto: ...") or, per RFC 3834, our
 * Message-ID in In-Reply-To / References.  message_match() tells them apart.
 */
#define SEARCH_FORMAT	"UID SEARCH OR OR OR HEADER %s \"%s\" SUBJECT \"%s\" " \
			"HEADER In-Reply-To \"%s\" HEADER References \"%s\""

/* How far the current perform got, as seen by the trace callback. */
enum imap_phase {
	PH_CONNECT,	/* greeting, CAPABILITY, STARTTLS, TLS handshake */
	PH_LOGIN,	/* LOGIN or AUTHENTICATE sent */
	PH_SELECT,	/* SELECT sent */
	PH_COMMAND	/* the request itself sent */
};

/* A bounded, NUL-terminated buffer for what curl hands to the client. */
struct imap_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* the cap of the current request */
	int	 overflow;	/* the answer went past max */
	int	 nomem;
};

struct imap_session {
	CURL		*curl;
	char		*url;		/* scheme://host[:port]/MAILBOX */
	char		*fetch_url;	/* url + "/;UID=N", rebuilt per fetch */
	size_t		 fetch_url_sz;
	char		*user;
	char		 host[FAIL_HOST_MAX];
	int		 port;
	char		 hostport[FAIL_HOST_MAX + 8];
	char		 mailbox[128];	/* as written in the URL, for messages */
	int		 tls;		/* imaps:// */
	int		 have_ca_file;
	int		 verbose;
	int64_t		 poll_interval_ms;
	int		 uidplus;	/* UID EXPUNGE is available */
	int		 opened;
	int		 closing;	/* imap_close(): open no new connection */
	struct imap_buf	 resp;
	char		 errbuf[CURL_ERROR_SIZE];
	/* Kept up to date by the trace callback. */
	enum imap_phase	 phase;
	char		 last_reply[FAIL_REPLY_MAX]; /* last tagged answer */
	int		 logging_out;	/* curl sent LOGOUT: answers are no cause */
	int		 out_partial;	/* last HEADER_OUT chunk ended mid-line */
	int		 out_secret;	/* ... and that line carries a secret */
};

/* The parts of an IMAP URL; pointers into the URL, not NUL-terminated. */
struct imap_url {
	int		 tls;
	const char	*user;
	size_t		 userlen;
	const char	*host;
	size_t		 hostlen;
	int		 port;		/* 0 when the URL has none */
	const char	*path;		/* the mailbox, without '/' around it */
	size_t		 pathlen;
};

static int	 why_set(char *, size_t, const char *);
static int	 hexval(int);
static int	 pct_check(const char *, size_t);
static int	 imap_url_parse(const char *, struct imap_url *, char *, size_t);
static char	*pct_decode(const char *, size_t);
static int	 token_ok(const char *);
static int	 parse_uid_list(const char *, const char *, unsigned long *,
		    size_t, size_t *);
static int	 has_capability(const char *, size_t, const char *);
static int	 header_value_is(const char *, const char *, const char *,
		    size_t);
static int	 message_match(const char *, size_t, const char *);
static void	 show_copy(char *, size_t, const char *, size_t);
static void	 trace_print(const char *, const char *, size_t, int);
static size_t	 word_len(const char *, const char *);
static void	 trace_out_line(struct imap_session *, const char *, size_t,
		    int, int);
static void	 trace_in_line(struct imap_session *, const char *, size_t);
static int	 imap_trace(CURL *, curl_infotype, char *, size_t, void *);
static size_t	 imap_write(char *, size_t, size_t, void *);
static curl_socket_t imap_opensocket(void *, curlsocktype,
		    struct curl_sockaddr *);
static CURLcode	 imap_setup(struct imap_session *, const struct imap_params *);
static const char *phase_stage(const struct imap_session *, const char *);
static void	 imap_fail(struct imap_session *, CURLcode, const char *,
		    const char *, struct failure *);
static int	 imap_perform(struct imap_session *, const char *,
		    const char *, size_t, const struct deadline *,
		    const char *, const char *, CURLcode *, struct failure *);
static int	 imap_fetch_check(struct imap_session *, unsigned long,
		    const char *, const struct deadline *, struct imap_found *,
		    struct failure *);
static void	 sleep_until(int64_t);
static void	 session_where(struct imap_session *, struct failure *);

/*
 * URL checking.
 */

static int
why_set(char *why, size_t whysz, const char *reason)
{
	if (why != NULL && whysz > 0)
		copy_string(why, whysz, reason);
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * 0 when every '%' starts a well-formed escape of a printable byte; -1 for a
 * broken escape, -2 for an escaped control character (libcurl would decode
 * it into the SELECT or LOGIN command line).
 */
static int
pct_check(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi, lo, v;

		if (s[i] != '%')
			continue;
		if (i + 2 >= n)
			return -1;
		hi = hexval((unsigned char)s[i + 1]);
		lo = hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		v = hi * 16 + lo;
		if (v < 0x20 || v == 0x7f)
			return -2;
		i += 2;
	}
	return 0;
}

static int
imap_url_parse(const char *url, struct imap_url *u, char *why, size_t whysz)
{
	const char *p, *authend, *at, *h, *hend, *q, *path, *pathend;
	size_t len, i;
	int r;

	memset(u, 0, sizeof(*u));
	if (url == NULL || *url == '\0')
		return why_set(why, whysz, "the IMAP URL is empty");
	len = strnlen(url, IMAP_URL_MAX + 1);
	if (len > IMAP_URL_MAX)
		return why_set(why, whysz,
		    "the IMAP URL is longer than 2048 characters");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c >= 0x7f)
			return why_set(why, whysz, "the IMAP URL contains a "
			    "space, a control character or a non-ASCII byte "
			    "(percent-encode it)");
	}
	if (strncasecmp(url, "imaps://", 8) == 0) {
		u->tls = 1;
		p = url + 8;
	} else if (strncasecmp(url, "imap://", 7) == 0)
		p = url + 7;
	else
		return why_set(why, whysz,
		    "the IMAP URL must start with imap:// or imaps://");

	authend = p + strcspn(p, "/?#");
	if (*authend == '?' || *authend == '#')
		return why_set(why, whysz, "the IMAP URL must not contain "
		    "'?' or '#' (percent-encode them in a mailbox name)");
	if (*authend != '/')
		return why_set(why, whysz, "the IMAP URL names no mailbox "
		    "(add one after the host, as in imap://host/INBOX)");

	/* userinfo: up to the last '@' before the path */
	at = NULL;
	for (q = p; q < authend; q++)
		if (*q == '@')
			at = q;
	h = p;
	if (at != NULL) {
		if (at == p)
			return why_set(why, whysz,
			    "the IMAP URL has an empty user name before '@'");
		if (memchr(p, ':', (size_t)(at - p)) != NULL)
			return why_set(why, whysz, "the IMAP URL carries a "
			    "password; give it with --imap-password-file or "
			    "MAILIVE_IMAP_PASSWORD instead");
		if (pct_check(p, (size_t)(at - p)) != 0)
			return why_set(why, whysz, "the user name in the IMAP "
			    "URL has a malformed or control-character "
			    "%-escape");
		u->user = p;
		u->userlen = (size_t)(at - p);
		h = at + 1;
	}

	if (h < authend && *h == '[') {
		hend = memchr(h, ']', (size_t)(authend - h));
		if (hend == NULL || hend == h + 1)
			return why_set(why, whysz, "the IMAP URL has a "
			    "malformed IPv6 address in brackets");
		for (q = h + 1; q < hend; q++)
			if (!isxdigit((unsigned char)*q) && *q != ':' &&
			    *q != '.')
				return why_set(why, whysz, "the IMAP URL has a "
				    "malformed IPv6 address in brackets");
		hend++;
	} else {
		for (hend = h; hend < authend && *hend != ':'; hend++)
			if (!isalnum((unsigned char)*hend) && *hend != '-' &&
			    *hend != '.' && *hend != '_')
				return why_set(why, whysz, "the host in the "
				    "IMAP URL contains a character not allowed "
				    "in a host name");
	}
	if (hend == h)
		return why_set(why, whysz, "the IMAP URL names no host");
	if ((size_t)(hend - h) > IMAP_HOST_MAX)
		return why_set(why, whysz,
		    "the host in the IMAP URL is longer than 253 characters");
	u->host = h;
	u->hostlen = (size_t)(hend - h);

	if (hend < authend) {
		long port = 0;

		if (*hend != ':' || hend + 1 == authend)
			return why_set(why, whysz, "the port in the IMAP URL "
			    "must be a number from 1 to 65535");
		for (q = hend + 1; q < authend; q++) {
			if (!isdigit((unsigned char)*q) || port > 65535)
				return why_set(why, whysz, "the port in the "
				    "IMAP URL must be a number from 1 to "
				    "65535");
			port = port * 10 + (*q - '0');
		}
		if (port < 1 || port > 65535)
			return why_set(why, whysz, "the port in the IMAP URL "
			    "must be a number from 1 to 65535");
		u->port = (int)port;
	}

	path = authend + 1;
	pathend = url + len;
	if (strpbrk(path, "?#;") != NULL)
		return why_set(why, whysz, "the mailbox in the IMAP URL must "
		    "not contain '?', '#' or ';' (mailive adds its own ;UID= "
		    "part; percent-encode such characters)");
	while (pathend > path && pathend[-1] == '/')
		pathend--;
	if (pathend == path)
		return why_set(why, whysz, "the IMAP URL names no mailbox "
		    "(add one after the host, as in imap://host/INBOX)");
	r = pct_check(path, (size_t)(pathend - path));
	if (r == -1)
		return why_set(why, whysz,
		    "the mailbox in the IMAP URL has a malformed %-escape");
	if (r == -2)
		return why_set(why, whysz, "the mailbox in the IMAP URL "
		    "encodes a control character");
	u->path = path;
	u->pathlen = (size_t)(pathend - path);
	return 0;
}

int
imap_url_check(const char *url, char *why, size_t whysz)
{
	struct imap_url u;

	if (imap_url_parse(url, &u, why, whysz) == -1)
		return -1;
	if (why != NULL && whysz > 0)
		why[0] = '\0';
	return 0;
}

/* A malloc'd, NUL-terminated, %-decoded copy (escapes already checked). */
static char *
pct_decode(const char *s, size_t n)
{
	char *out, *o;
	size_t i;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			*o++ = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			    hexval((unsigned char)s[i + 2]));
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/*
 * SEARCH parsing.
 */

/*
 * The numbers after "SEARCH" up to end: one or more spaces before each
 * (RFC 3501 says one; some servers add a trailing space), each a non-zero
 * 32-bit number.  A CONDSTORE "(MODSEQ n)" may close the list (RFC 7162).
 */
static int
parse_uid_list(const char *q, const char *end, unsigned long *uids,
    size_t maxuids, size_t *count)
{
	while (q < end) {
		uint64_t v = 0;

		if (*q != ' ')
			return -1;
		while (q < end && *q == ' ')
			q++;
		if (q == end)
			break;
		if (*q == '(') {
			if (end - q < 10 || strncasecmp(q, "(MODSEQ ", 8) != 0)
				return -1;
			for (q += 8; q < end && isdigit((unsigned char)*q); q++)
				;
			if (q == end || *q != ')' ||
			    !isdigit((unsigned char)q[-1]))
				return -1;
			for (q++; q < end && *q == ' '; q++)
				;
			return q == end ? 0 : -1;
		}
		if (!isdigit((unsigned char)*q))
			return -1;
		for (; q < end && isdigit((unsigned char)*q); q++) {
			v = v * 10 + (uint64_t)(*q - '0');
			if (v > 4294967295ULL)
				return -1;
		}
		if (v == 0)
			return -1;
		if (*count < maxuids)
			uids[*count] = (unsigned long)v;
		(*count)++;
	}
	return 0;
}

/*
 * The response as libcurl hands over a custom command's answer: untagged
 * lines only, CRLF (or LF) terminated.  Lines other than "* SEARCH" are
 * skipped (a selected mailbox gets "* 3 EXISTS" and the like at any time);
 * a line that is not an untagged response, a NUL byte, a malformed SEARCH
 * line or no SEARCH line at all is garbage.  At most maxuids UIDs are
 * stored, but like snprintf the return value counts all of them.  The
 * input is bounded by IMAP_RESPONSE_MAX, so the count always fits an int.
 */
int
imap_parse_search(const char *response, size_t len, unsigned long *uids,
    size_t maxuids)
{
	const char *p, *end;
	size_t count = 0;
	int seen = 0;

	if (response == NULL || len > IMAP_RESPONSE_MAX ||
	    (uids == NULL && maxuids > 0))
		return -1;
	for (p = response, end = response + len; p < end; ) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *lend = eol != NULL ? eol : end;
		const char *next = eol != NULL ? eol + 1 : end;

		if (lend > p && lend[-1] == '\r')
			lend--;
		if (memchr(p, '\0', (size_t)(lend - p)) != NULL)
			return -1;
		if (lend == p) {
			p = next;
			continue;
		}
		if (lend - p < 2 || p[0] != '*' || p[1] != ' ')
			return -1;
		if (lend - p >= 8 && strncasecmp(p + 2, "SEARCH", 6) == 0 &&
		    (lend - p == 8 || p[8] == ' ')) {
			seen = 1;
			if (parse_uid_list(p + 8, lend, uids, maxuids,
			    &count) == -1)
				return -1;
		}
		p = next;
	}
	if (!seen)
		return -1;
	return (int)count;
}

/* Does an untagged "* CAPABILITY" line in buf list cap? */
static int
has_capability(const char *buf, size_t len, const char *cap)
{
	const char *p = buf, *end = buf + len;
	size_t caplen = strlen(cap);

	if (buf == NULL)
		return 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *lend = eol != NULL ? eol : end;

		if (lend - p >= 13 && strncasecmp(p, "* CAPABILITY ", 13) == 0) {
			const char *w = p + 13;

			while (w < lend) {
				size_t wl = word_len(w, lend);

				if (wl == caplen && strncasecmp(w, cap, wl) == 0)
					return 1;
				w += wl + 1;
			}
		}
		p = eol != NULL ? eol + 1 : end;
	}
	return 0;
}

/*
 * Token checks.
 */

/* Printable ASCII without space, quote or backslash: safe as "token". */
static int
token_ok(const char *t)
{
	size_t n, i;

	if (t == NULL)
		return 0;
	n = strnlen(t, IMAP_TOKEN_MAX + 1);
	if (n == 0 || n > IMAP_TOKEN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

/*
 * Is the header value starting at q (folded lines included) exactly token,
 * once its white space is dropped?
 */
static int
header_value_is(const char *q, const char *end, const char *token,
    size_t toklen)
{
	size_t i = 0;

	for (; q < end; q++) {
		if (*q == '\n') {
			if (q + 1 < end && (q[1] == ' ' || q[1] == '\t'))
				continue;
			break;
		}
		if (*q == ' ' || *q == '\t' || *q == '\r')
			continue;
		if (i >= toklen || *q != token[i])
			return 0;
		i++;
	}
	return i == toklen;
}

/*
 * The next header field of the top-level header at *p: its name and its
 * value up to the end of its last folded line.  0 at the empty line that
 * ends the header (or at the end of the data).
 */
static int
next_field(const char **p, const char *end, const char **name,
    size_t *namelen, const char **val, const char **vend)
{
	const char *q = *p, *colon;

	if (q >= end || *q == '\r' || *q == '\n')
		return 0;
	colon = memchr(q, ':', (size_t)(end - q));
	*name = q;
	*namelen = colon != NULL ? (size_t)(colon - q) : 0;
	*val = colon != NULL ? colon + 1 : q;
	for (;;) {			/* to the end of the folded field */
		const char *eol = memchr(q, '\n', (size_t)(end - q));

		if (eol == NULL) {
			q = end;
			break;
		}
		q = eol + 1;
		if (q >= end || (*q != ' ' && *q != '\t'))
			break;
	}
	*vend = q;
	*p = q;
	return 1;
}

static int
field_is(const char *name, size_t namelen, const char *want)
{
	return namelen == strlen(want) && strncasecmp(name, want,
	    namelen) == 0;
}

/* Does [q, end) contain token? */
static int
contains(const char *q, const char *end, const char *token, size_t toklen)
{
	for (; (size_t)(end - q) >= toklen; q++)
		if (memcmp(q, token, toklen) == 0)
			return 1;
	return 0;
}

/*
 * Is the fetched message ours?  SEARCH matches substrings anywhere in a
 * field, so the hit is confirmed on the top-level header:
 *   IMAP_MATCH_COPY   an X-Mailive-Token field that is exactly the token:
 *                     the forwarded copy;
 *   IMAP_MATCH_REPLY  the token in Subject, In-Reply-To or References: an
 *                     auto-responder's answer ("Auto: ...", "Re: ...");
 *   0                 neither, or a delivery status report: a bounce quotes
 *                     the probe's header but is no round trip.
 */
static int
message_match(const char *msg, size_t len, const char *token)
{
	const char *p = msg, *end = msg + len, *name, *val, *vend;
	size_t namelen, toklen = strlen(token);
	int match = 0;

	if (msg == NULL)
		return 0;
	while (next_field(&p, end, &name, &namelen, &val, &vend)) {
		if (field_is(name, namelen, TOKEN_HEADER) &&
		    header_value_is(val, vend, token, toklen))
			match = IMAP_MATCH_COPY;
		else if ((field_is(name, namelen, "Subject") ||
		    field_is(name, namelen, "In-Reply-To") ||
		    field_is(name, namelen, "References")) &&
		    contains(val, vend, token, toklen) && match == 0)
			match = IMAP_MATCH_REPLY;
		else if (field_is(name, namelen, "Content-Type") &&
		    contains(val, vend, "multipart/report", 16))
			return 0;
	}
	return match;
}

/*
 * Tracing.
 */

/* Copy n bytes of peer text for display: control bytes become '?'. */
static void
show_copy(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t i;

	if (dstsz == 0)
		return;
	for (i = 0; i < n && i + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = '\0';
}

static void
trace_print(const char *dir, const char *line, size_t n, int cont)
{
	char shown[IMAP_TRACE_LINE_MAX + 1];

	show_copy(shown, sizeof(shown), line, n);
	fprintf(stderr, "imap %s %s%s%s\n", dir, cont ? "..." : "", shown,
	    n > IMAP_TRACE_LINE_MAX ? "..." : "");
}

/* Length of the word at p: up to end, a space, CR or LF. */
static size_t
word_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q != ' ' && *q != '\r' && *q != '\n')
		q++;
	return (size_t)(q - p);
}

/*
 * One line we sent; with cont, the rest of a line whose start came in the
 * previous chunk; with !complete, the chunk ends inside this line.  A
 * tagged command is "<tag> <verb> ..."; LOGIN and AUTHENTICATE carry
 * credentials and a line without a tag is SASL data: none of that is
 * shown, nor the rest of a line cut before its verb was complete.
 */
static void
trace_out_line(struct imap_session *s, const char *line, size_t n, int cont,
    int complete)
{
	const char *sp, *verb, *arg, *end = line + n;
	size_t taglen, verblen;
	char head[64];

	if (cont) {
		if (s->verbose)
			trace_print(">>>", s->out_secret ? "<redacted>" : line,
			    s->out_secret ? 10 : n, 1);
		return;
	}
	sp = memchr(line, ' ', n);
	if (sp == NULL) {
		s->out_secret = 1;
		if (s->verbose)
			trace_print(">>>", "<redacted>", 10, 0);
		return;
	}
	taglen = (size_t)(sp - line);
	verb = sp + 1;
	verblen = word_len(verb, end);
	s->out_secret = !complete && verb + verblen == end;
	if (verblen == 5 && strncasecmp(verb, "LOGIN", 5) == 0) {
		s->out_secret = 1;
		s->phase = PH_LOGIN;
		if (s->verbose) {
			snprintf(head, sizeof(head), "%.*s LOGIN <redacted>",
			    (int)(taglen < 16 ? taglen : 16), line);
			trace_print(">>>", head, strlen(head), 0);
		}
		return;
	}
	if (verblen == 12 && strncasecmp(verb, "AUTHENTICATE", 12) == 0) {
		size_t mechlen = 0;

		s->out_secret = 1;
		s->phase = PH_LOGIN;
		arg = verb + verblen;
		if (arg < end && *arg == ' ') {
			arg++;
			mechlen = word_len(arg, end);
		} else
			arg = "";
		if (s->verbose) {
			snprintf(head, sizeof(head),
			    "%.*s AUTHENTICATE %.*s <redacted>",
			    (int)(taglen < 16 ? taglen : 16), line,
			    (int)(mechlen < 24 ? mechlen : 24), arg);
			trace_print(">>>", head, strlen(head), 0);
		}
		return;
	}
	if ((verblen == 10 && strncasecmp(verb, "CAPABILITY", 10) == 0) ||
	    (verblen == 8 && strncasecmp(verb, "STARTTLS", 8) == 0)) {
		if (s->phase != PH_CONNECT)
			s->phase = PH_COMMAND;
	} else if ((verblen == 6 && strncasecmp(verb, "SELECT", 6) == 0) ||
	    (verblen == 7 && strncasecmp(verb, "EXAMINE", 7) == 0))
		s->phase = PH_SELECT;
	else if (verblen == 6 && strncasecmp(verb, "LOGOUT", 6) == 0)
		s->logging_out = 1;	/* curl closing after an error */
	else
		s->phase = PH_COMMAND;
	if (s->verbose)
		trace_print(">>>", line, n, 0);
}

/* One line the server sent: remember tagged answers and BYE. */
static void
trace_in_line(struct imap_session *s, const char *line, size_t n)
{
	const char *sp;

	if (s->verbose)
		trace_print("<<<", line, n, 0);
	if (s->logging_out)
		return;
	if (n >= 2 && line[0] == '*' && line[1] == ' ') {
		if (n >= 6 && strncasecmp(line + 2, "BYE ", 4) == 0)
			show_copy(s->last_reply, sizeof(s->last_reply),
			    line + 2, n - 2);
		return;
	}
	if (n == 0 || line[0] == '+')
		return;
	if ((sp = memchr(line, ' ', n)) != NULL)
		show_copy(s->last_reply, sizeof(s->last_reply), sp + 1,
		    n - (size_t)(sp + 1 - line));
}

static int
imap_trace(CURL *curl, curl_infotype type, char *data, size_t size,
    void *arg)
{
	struct imap_session *s = arg;
	const char *p = data, *end = data + size;
	int first = 1;

	(void)curl;
	switch (type) {
	case CURLINFO_HEADER_OUT:
	case CURLINFO_HEADER_IN:
	case CURLINFO_TEXT:
		break;
	case CURLINFO_DATA_IN:
		if (s->verbose)
			fprintf(stderr, "imap <<< [%zu bytes of message]\n",
			    size);
		return 0;
	default:
		return 0;
	}
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *lend = eol != NULL ? eol : end;
		size_t n;

		if (lend > p && lend[-1] == '\r')
			lend--;
		n = (size_t)(lend - p);
		if (type == CURLINFO_HEADER_OUT)
			trace_out_line(s, p, n, first && s->out_partial,
			    eol != NULL);
		else if (type == CURLINFO_HEADER_IN)
			trace_in_line(s, p, n);
		else if (s->verbose)
			trace_print("*", p, n, 0);
		first = 0;
		p = eol != NULL ? eol + 1 : end;
	}
	if (type == CURLINFO_HEADER_OUT)
		s->out_partial = size > 0 && data[size - 1] != '\n';
	return 0;
}

/*
 * Requests.
 */

static size_t
imap_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct imap_session *s = arg;
	struct imap_buf *b = &s->resp;
	size_t n, want;
	char *nd;

	if (nmemb != 0 && size > SIZE_MAX / nmemb) {
		b->overflow = 1;
		return 0;
	}
	n = size * nmemb;
	if (n > b->max - b->len) {
		b->overflow = 1;
		return 0;	/* anything but n: CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		want = b->cap > 0 ? b->cap : 4096;
		while (want < b->len + n + 1)
			want *= 2;
		if (want > b->max + 1)
			want = b->max + 1;
		if ((nd = realloc(b->data, want)) == NULL) {
			b->nomem = 1;
			return 0;
		}
		b->data = nd;
		b->cap = want;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* curl's own default, except that imap_close() never opens a connection. */
static curl_socket_t
imap_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct imap_session *s = arg;

	(void)purpose;
	if (s->closing)
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype, a->protocol);
}

static CURLcode
imap_setup(struct imap_session *s, const struct imap_params *p)
{
	CURL *c = s->curl;
	CURLcode rc;

	/*
	 * imap:// tries STARTTLS when the server offers it and goes on in
	 * clear text when it does not (CURLUSESSL_TRY): the user chose a
	 * clear-text URL, but the password should not cross the wire in
	 * clear when the server can do better.  Once tried, the certificate
	 * is verified as for imaps://; a STARTTLS with an unverifiable
	 * certificate fails as TLS rather than sending the password to a
	 * peer we could not authenticate.
	 */
	if ((rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    (rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
	    "imap,imaps")) != CURLE_OK ||
#else
	    (rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_IMAP | CURLPROTO_IMAPS))) != CURLE_OK ||
#endif
	    (rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, imap_write)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, s)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION,
	    imap_opensocket)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, s)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, imap_trace)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_DEBUGDATA, s)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_VERBOSE, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_USERNAME, s->user)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_PASSWORD, p->password)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_USE_SSL,
	    (long)CURLUSESSL_TRY)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L)) !=
	    CURLE_OK)
		return rc;
	if (p->ca_file != NULL && *p->ca_file != '\0' &&
	    (rc = curl_easy_setopt(c, CURLOPT_CAINFO, p->ca_file)) !=
	    CURLE_OK)
		return rc;
	return CURLE_OK;
}

/* Host, the address curl used last (if any) and port, into f. */
static void
session_where(struct imap_session *s, struct failure *f)
{
	char *ip = NULL;

	if (s->curl == NULL || curl_easy_getinfo(s->curl, CURLINFO_PRIMARY_IP,
	    &ip) != CURLE_OK)
		ip = NULL;
	failure_where(f, s->host, ip, s->port);
}

/*
 * The stage a failure belongs to: the trace says how far the perform got.
 * A perform on a reused connection starts with the request itself, so it
 * is "connect" only if it had to open a new connection.
 */
static const char *
phase_stage(const struct imap_session *s, const char *stage)
{
	long nconn = 0;

	switch (s->phase) {
	case PH_CONNECT:
		if (curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS,
		    &nconn) != CURLE_OK || nconn > 0 || !s->opened)
			return "imap-connect";
		return stage;
	case PH_LOGIN:
		return "imap-login";
	case PH_SELECT:
		return "imap-select";
	default:
		return stage;
	}
}

static void
imap_fail(struct imap_session *s, CURLcode rc, const char *stage,
    const char *what, struct failure *f)
{
	const char *where = phase_stage(s, stage);
	const char *detail = s->errbuf[0] != '\0' ? s->errbuf :
	    curl_easy_strerror(rc);
	char said[FAIL_REPLY_MAX + 32];

	session_where(s, f);
	failure_reply(f, 0, "");
	said[0] = '\0';
	/* The server's last answer is the cause only of a refusal or a drop. */
	if (s->last_reply[0] != '\0' && (rc == CURLE_LOGIN_DENIED ||
	    rc == CURLE_QUOTE_ERROR || rc == CURLE_REMOTE_FILE_NOT_FOUND ||
	    rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_RECV_ERROR ||
	    rc == CURLE_GOT_NOTHING)) {
		failure_reply(f, 0, s->last_reply);
		snprintf(said, sizeof(said), " (the server said: %s)",
		    s->last_reply);
	}
	if (strcmp(where, "imap-connect") == 0)
		what = "the connection";
	else if (strcmp(where, "imap-login") == 0)
		what = "the login";
	else if (strcmp(where, "imap-select") == 0)
		what = "the selection of the mailbox";

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		failure_set(f, FAIL_DNS, "imap-connect", "Could not resolve "
		    "the IMAP server's name %s: %s. Check the host in "
		    "--imap.", s->host, detail);
		break;
	case CURLE_COULDNT_CONNECT:
		failure_set(f, FAIL_CONNECT, "imap-connect", "Could not "
		    "connect to the IMAP server %s: %s. Check that the server "
		    "is running and that the host and port in --imap are "
		    "right.", s->hostport, detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		failure_set(f, FAIL_TIMEOUT, where, "The IMAP server %s did "
		    "not complete %s before the deadline (%s). Check that the "
		    "server answers, or allow more time with --timeout.",
		    s->hostport, what, detail);
		break;
	case CURLE_LOGIN_DENIED:
		if (s->phase == PH_SELECT)
			/* SELECT refused: no such mailbox, or no right to it */
			failure_set(f, FAIL_PERMANENT, "imap-select", "The "
			    "IMAP server %s did not let user \"%s\" select the "
			    "mailbox \"%s\"%s. Check the mailbox in "
			    "--imap.", s->hostport, s->user, s->mailbox,
			    said);
		else if (s->phase == PH_LOGIN)
			failure_set(f, FAIL_AUTH, "imap-login", "The IMAP "
			    "server %s refused the login of user \"%s\"%s. "
			    "Check --imap-user and the password in "
			    "--imap-password-file or MAILIVE_IMAP_PASSWORD.",
			    s->hostport, s->user, said);
		else {
			/* curl found no usable method and sent nothing */
			failure_reply(f, 0, "");
			failure_set(f, FAIL_AUTH, "imap-login", "The IMAP "
			    "server %s offers no login method mailive can use "
			    "on this connection (%s), so user \"%s\" could not "
			    "log in. It may refuse clear-text logins "
			    "(LOGINDISABLED): use imaps:// or enable STARTTLS "
			    "on the server.", s->hostport, detail, s->user);
		}
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		failure_set(f, FAIL_TLS, where, "TLS with the IMAP server %s "
		    "failed%s: %s. Check that %s holds the CA that signed the "
		    "server's certificate and that the host in --imap is "
		    "a name the certificate carries.", s->hostport,
		    s->tls ? "" : " after STARTTLS", detail,
		    s->have_ca_file ? "--imap-ca-file" :
		    "the system CA store (no --imap-ca-file was given)");
		break;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
		failure_set(f, FAIL_LOCAL, where, "Could not load the CA file "
		    "for the IMAP server %s: %s. Check --imap-ca-file.",
		    s->hostport, detail);
		break;
	case CURLE_OUT_OF_MEMORY:
		failure_set(f, FAIL_LOCAL, where, "Out of memory during %s "
		    "with the IMAP server %s.", what, s->hostport);
		break;
	case CURLE_WRITE_ERROR:
		if (s->resp.overflow)
			failure_set(f, FAIL_PROTOCOL, where, "The IMAP server "
			    "%s sent more than %zu bytes during %s; mailive "
			    "reads no more than that.", s->hostport,
			    s->resp.max, what);
		else
			failure_set(f, FAIL_LOCAL, where, "Out of memory "
			    "while reading %s from the IMAP server %s.", what,
			    s->hostport);
		break;
	case CURLE_QUOTE_ERROR:		/* a custom command got NO or BAD */
		failure_set(f, FAIL_PROTOCOL, where, "The IMAP server %s "
		    "refused %s in mailbox \"%s\"%s.", s->hostport, what,
		    s->mailbox, said);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		failure_set(f, FAIL_USAGE, where, "libcurl cannot use the IMAP "
		    "URL for %s: %s. Check --imap.", s->hostport, detail);
		break;
	default:
		failure_set(f, FAIL_PROTOCOL, where, "The IMAP session with %s "
		    "broke off during %s: %s%s.", s->hostport, what, detail,
		    said);
		break;
	}
}

/*
 * One request on the session's handle, within what is left of the
 * deadline.  custom NULL fetches url (a ;UID= URL); otherwise custom is
 * sent in the mailbox of url.  The answer is in s->resp (at most max
 * bytes).  On failure f is filled and *rcp says what curl returned.
 */
static int
imap_perform(struct imap_session *s, const char *url, const char *custom,
    size_t max, const struct deadline *dl, const char *stage,
    const char *what, CURLcode *rcp, struct failure *f)
{
	int64_t left = deadline_left_ms(dl);
	CURLcode rc;

	/* curl takes a timeout of 0 as "none": never perform without time */
	if (left <= 0) {
		*rcp = CURLE_OPERATION_TIMEDOUT;
		session_where(s, f);
		failure_set(f, FAIL_TIMEOUT, stage, "The deadline passed "
		    "before %s with the IMAP server %s could start; allow more "
		    "time with --timeout.", what, s->hostport);
		return -1;
	}
	if (left > LONG_MAX)
		left = LONG_MAX;
	s->resp.len = 0;
	if (s->resp.data != NULL)
		s->resp.data[0] = '\0';
	s->resp.max = max;
	s->resp.overflow = 0;
	s->resp.nomem = 0;
	s->errbuf[0] = '\0';
	s->last_reply[0] = '\0';
	s->logging_out = 0;
	s->phase = PH_CONNECT;
	if ((rc = curl_easy_setopt(s->curl, CURLOPT_URL, url)) != CURLE_OK ||
	    (rc = curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST,
	    custom)) != CURLE_OK ||
	    (rc = curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS,
	    (long)left)) != CURLE_OK ||
	    (rc = curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)left)) != CURLE_OK)
		goto fail;
	if ((rc = curl_easy_perform(s->curl)) == CURLE_OK) {
		*rcp = rc;
		return 0;
	}
fail:
	*rcp = rc;
	imap_fail(s, rc, stage, what, f);
	return -1;
}

/*
 * Session.
 */

struct imap_session *
imap_open(const struct imap_params *p, const struct deadline *dl,
    struct failure *f)
{
	struct imap_session *s;
	struct imap_url u;
	char why[256];
	size_t urlsz;
	CURLcode rc;

	if (p == NULL || dl == NULL) {
		failure_set(f, FAIL_USAGE, "imap-connect",
		    "imap_open() was called without parameters.");
		return NULL;
	}
	if (imap_url_parse(p->url, &u, why, sizeof(why)) == -1) {
		failure_set(f, FAIL_USAGE, "imap-connect", "The IMAP URL "
		    "cannot be used: %s. Check --imap.", why);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto nomem;
	s->port = u.port != 0 ? u.port : (u.tls ? 993 : 143);
	show_copy(s->host, sizeof(s->host), u.host, u.hostlen);
	snprintf(s->hostport, sizeof(s->hostport), "%s:%d", s->host, s->port);
	show_copy(s->mailbox, sizeof(s->mailbox), u.path, u.pathlen);
	failure_where(f, s->host, NULL, s->port);
	s->verbose = p->verbose;
	s->tls = u.tls;
	s->have_ca_file = p->ca_file != NULL && *p->ca_file != '\0';
	s->poll_interval_ms = p->poll_interval_ms > 0 ?
	    p->poll_interval_ms : IMAP_POLL_DEFAULT_MS;
	if (s->poll_interval_ms < IMAP_POLL_MIN_MS)
		s->poll_interval_ms = IMAP_POLL_MIN_MS;

	/* The URL without its userinfo: the user goes in CURLOPT_USERNAME. */
	urlsz = sizeof("imaps://:65535/") + u.hostlen + u.pathlen;
	if ((s->url = malloc(urlsz)) == NULL)
		goto nomem;
	if (u.port != 0)
		snprintf(s->url, urlsz, "%s://%.*s:%d/%.*s",
		    u.tls ? "imaps" : "imap", (int)u.hostlen, u.host, u.port,
		    (int)u.pathlen, u.path);
	else
		snprintf(s->url, urlsz, "%s://%.*s/%.*s",
		    u.tls ? "imaps" : "imap", (int)u.hostlen, u.host,
		    (int)u.pathlen, u.path);
	s->fetch_url_sz = strlen(s->url) + sizeof("/;UID=4294967295");
	if ((s->fetch_url = malloc(s->fetch_url_sz)) == NULL)
		goto nomem;

	if (p->user != NULL && *p->user != '\0')
		s->user = strdup(p->user);
	else if (u.user != NULL)
		s->user = pct_decode(u.user, u.userlen);
	else {
		failure_set(f, FAIL_USAGE, "imap-login", "No IMAP user was "
		    "given for %s: give --imap-user or put the user in "
		    "--imap (imap://user@host/INBOX).", s->hostport);
		goto fail;
	}
	if (s->user == NULL)
		goto nomem;
	if (strlen(s->user) > IMAP_USER_MAX || has_control_chars(s->user)) {
		failure_set(f, FAIL_USAGE, "imap-login", "The IMAP user name "
		    "for %s is longer than %d characters or contains a control "
		    "character. Check --imap-user.", s->hostport,
		    IMAP_USER_MAX);
		goto fail;
	}
	/*
	 * The password is handed to curl only through CURLOPT_PASSWORD,
	 * which keeps its own copy; this module makes none, so there is
	 * nothing of ours to wipe.
	 */
	if (p->password == NULL) {
		failure_set(f, FAIL_USAGE, "imap-login", "No IMAP password "
		    "was given for user \"%s\" on %s: use --imap-password-file "
		    "or MAILIVE_IMAP_PASSWORD.", s->user, s->hostport);
		goto fail;
	}
	if (has_control_chars(p->password)) {
		failure_set(f, FAIL_USAGE, "imap-login", "The IMAP password "
		    "for user \"%s\" contains a line break or another control "
		    "character. Check --imap-password-file or "
		    "MAILIVE_IMAP_PASSWORD.", s->user);
		goto fail;
	}

	if ((s->curl = curl_easy_init()) == NULL) {
		failure_set(f, FAIL_LOCAL, "imap-connect", "libcurl could not "
		    "create a handle for the IMAP server %s.", s->hostport);
		goto fail;
	}
	if ((rc = imap_setup(s, p)) != CURLE_OK) {
		failure_set(f, FAIL_LOCAL, "imap-connect", "libcurl refused "
		    "an IMAP option (%s); it may lack IMAP or TLS support.",
		    curl_easy_strerror(rc));
		goto fail;
	}

	/*
	 * A custom command in a mailbox makes curl log in and SELECT it
	 * first; CAPABILITY after login also tells whether UIDPLUS is there
	 * (before login Dovecot does not list it).
	 */
	if (imap_perform(s, s->url, "CAPABILITY", IMAP_RESPONSE_MAX, dl,
	    "imap-select", "the CAPABILITY command", &rc, f) == -1)
		goto fail;
	s->uidplus = has_capability(s->resp.data, s->resp.len, "UIDPLUS");
	s->opened = 1;
	return s;

nomem:
	failure_set(f, FAIL_LOCAL, "imap-connect",
	    "Out of memory while preparing the IMAP session.");
fail:
	imap_close(s, dl);
	return NULL;
}

/*
 * Fetch uid and check it carries token.  1: it does (found filled);
 * 0: it does not, or it is gone; -1: failure.
 */
static int
imap_fetch_check(struct imap_session *s, unsigned long uid,
    const char *token, const struct deadline *dl, struct imap_found *found,
    struct failure *f)
{
	char what[64];
	CURLcode rc;
	int match;

	snprintf(s->fetch_url, s->fetch_url_sz, "%s/;UID=%lu", s->url, uid);
	snprintf(what, sizeof(what), "the fetch of message UID %lu", uid);
	if (imap_perform(s, s->fetch_url, NULL, IMAP_MESSAGE_MAX, dl,
	    "imap-fetch", what, &rc, f) == -1)
		/* expunged between the search and the fetch */
		return rc == CURLE_REMOTE_FILE_NOT_FOUND ? 0 : -1;
	if ((match = message_match(s->resp.data, s->resp.len, token)) == 0)
		return 0;
	found->match = match;
	found->message = s->resp.data;
	found->message_len = s->resp.len;
	s->resp.data = NULL;
	s->resp.len = 0;
	s->resp.cap = 0;
	found->found = 1;
	return 1;
}

static void
sleep_until(int64_t until_ms)
{
	int64_t now;

	while ((now = mono_now_ms()) < until_ms) {
		struct timespec ts;
		int64_t d = until_ms - now;

		ts.tv_sec = (time_t)(d / 1000);
		ts.tv_nsec = (long)(d % 1000) * 1000000L;
		(void)nanosleep(&ts, NULL);	/* EINTR: the loop recomputes */
	}
}

int
imap_wait_for_token(struct imap_session *s, const char *token,
    const struct deadline *dl, struct imap_found *found, struct failure *f)
{
	char cmd[sizeof(SEARCH_FORMAT) + sizeof(TOKEN_HEADER) +
	    4 * IMAP_TOKEN_MAX];
	unsigned long uids[IMAP_UIDS_MAX], rejected[IMAP_REJECTED_MAX];
	size_t nrejected = 0;
	int64_t start_ms;
	CURLcode rc;

	if (s == NULL || dl == NULL || found == NULL) {
		failure_set(f, FAIL_USAGE, "imap-wait",
		    "imap_wait_for_token() was called without a session.");
		return -1;
	}
	memset(found, 0, sizeof(*found));
	session_where(s, f);
	if (!token_ok(token)) {
		failure_set(f, FAIL_USAGE, "imap-wait", "The probe token "
		    "cannot be searched for: it must be 1 to %d printable "
		    "ASCII characters without spaces, quotes or backslashes.",
		    IMAP_TOKEN_MAX);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), SEARCH_FORMAT, TOKEN_HEADER, token, token,
	    token, token);

	start_ms = mono_now_ms();
	for (;;) {
		int64_t t0 = mono_now_ms(), budget = deadline_left_ms(dl);
		int64_t seen_mono, seen_wall, next;
		size_t i, j, n;
		int r;

		if (budget == 0)
			break;
		/*
		 * NOOP first: after a SEARCH Dovecot runs only a "fast"
		 * sync, which looks for new mail at most every 5 s
		 * (MAILBOX_FULL_SYNC_INTERVAL), so a search alone would see
		 * a delivery up to 5 s late.  NOOP syncs fully (RFC 3501
		 * 6.1.2 names it as the way to poll), and the search right
		 * after it sees every message delivered before it.
		 */
		if (imap_perform(s, s->url, "NOOP", IMAP_RESPONSE_MAX, dl,
		    "imap-search", "the NOOP before the search", &rc,
		    f) == -1 ||
		    imap_perform(s, s->url, cmd, IMAP_RESPONSE_MAX, dl,
		    "imap-search", "the search for the probe", &rc, f) == -1) {
			/*
			 * A search cut short by the end of the run means the
			 * copy did not come back in time; one that had
			 * seconds and still got no answer is a stalled server.
			 */
			if (rc == CURLE_OPERATION_TIMEDOUT &&
			    deadline_expired(dl) && budget < IMAP_STALL_MS)
				break;
			return -1;
		}
		seen_mono = mono_now_ms();
		seen_wall = wall_now_ms();
		found->polls++;
		r = imap_parse_search(s->resp.data, s->resp.len, uids,
		    IMAP_UIDS_MAX);
		if (r < 0) {
			char shown[IMAP_SHOW_MAX + 1];
			size_t k = s->resp.len;

			while (k > 0 && (s->resp.data[k - 1] == '\n' ||
			    s->resp.data[k - 1] == '\r'))
				k--;
			show_copy(shown, sizeof(shown), s->resp.data != NULL ?
			    s->resp.data : "", k);
			session_where(s, f);
			failure_set(f, FAIL_PROTOCOL, "imap-search", "The IMAP "
			    "server %s answered the search for the probe with "
			    "no valid SEARCH response: \"%s\".", s->hostport,
			    shown);
			return -1;
		}
		n = (size_t)r < IMAP_UIDS_MAX ? (size_t)r : IMAP_UIDS_MAX;
		for (i = 0; i < n; i++) {
			for (j = 0; j < nrejected; j++)
				if (rejected[j] == uids[i])
					break;
			if (j < nrejected)
				continue;
			found->uid = uids[i];
			found->detected_mono_ms = seen_mono;
			found->detected_wall_ms = seen_wall;
			r = imap_fetch_check(s, uids[i], token, dl, found, f);
			if (r == 1)
				return 0;
			if (r == -1)
				return -1;
			found->uid = 0;
			found->detected_mono_ms = 0;
			found->detected_wall_ms = 0;
			if (nrejected < IMAP_REJECTED_MAX)
				rejected[nrejected++] = uids[i];
		}
		next = t0 + s->poll_interval_ms;
		sleep_until(next < dl->end_ms ? next : dl->end_ms);
	}
	session_where(s, f);
	failure_set(f, FAIL_NOT_RETURNED, "imap-wait", "No message with %s "
	    "%s arrived in mailbox \"%s\" on %s: waited %.1f s and made %d "
	    "search%s, one every %lld ms. Check the way back from the probe's "
	    "recipient to this mailbox (forwarding, filters, spam folder) or "
	    "allow more time with --timeout.", TOKEN_HEADER, token,
	    s->mailbox, s->hostport, (double)(mono_now_ms() - start_ms) /
	    1000.0, found->polls, found->polls == 1 ? "" : "es",
	    (long long)s->poll_interval_ms);
	return -1;
}

int
imap_delete(struct imap_session *s, struct imap_found *found,
    const struct deadline *dl, struct failure *f)
{
	char cmd[64], what[64];
	CURLcode rc;

	if (s == NULL || dl == NULL || found == NULL || !found->found ||
	    found->uid == 0) {
		failure_set(f, FAIL_USAGE, "imap-delete",
		    "imap_delete() was called without a returned copy.");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "UID STORE %lu +FLAGS.SILENT (\\Deleted)",
	    found->uid);
	snprintf(what, sizeof(what), "flagging message UID %lu \\Deleted",
	    found->uid);
	if (imap_perform(s, s->url, cmd, IMAP_RESPONSE_MAX, dl,
	    "imap-delete", what, &rc, f) == -1)
		return -1;
	/*
	 * Without UIDPLUS a plain EXPUNGE removes every message flagged
	 * \Deleted, not only ours.  That is acceptable here: the return
	 * mailbox is dedicated to probes, and whatever else carries \Deleted
	 * was already marked for removal by whoever flagged it.
	 */
	if (s->uidplus)
		snprintf(cmd, sizeof(cmd), "UID EXPUNGE %lu", found->uid);
	else
		copy_string(cmd, sizeof(cmd), "EXPUNGE");
	snprintf(what, sizeof(what), "the expunge of message UID %lu",
	    found->uid);
	if (imap_perform(s, s->url, cmd, IMAP_RESPONSE_MAX, dl,
	    "imap-delete", what, &rc, f) == -1)
		return -1;
	found->deleted = 1;
	return 0;
}

void
imap_close(struct imap_session *s, const struct deadline *dl)
{
	if (s == NULL)
		return;
	if (s->curl != NULL) {
		curl_socket_t sock = CURL_SOCKET_BAD;
		long wait_ms = (long)deadline_wait_ms(dl, IMAP_CLOSE_TIMEOUT_MS);

		/*
		 * curl_easy_cleanup() logs out of a cached connection through
		 * an internal handle that waits up to 120 s for the answer,
		 * whatever this handle's options say.  So while the
		 * connection lives, end it with one last NOOP on this handle
		 * with reuse forbidden: curl then sends LOGOUT right after it
		 * and waits no longer than CURLOPT_SERVER_RESPONSE_TIMEOUT.
		 * A connection already dropped is left alone: no new login
		 * just to log out (s->closing makes imap_opensocket refuse).
		 */
		s->closing = 1;
		if (curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &sock) ==
		    CURLE_OK && sock != CURL_SOCKET_BAD && wait_ms < 50) {
			/*
			 * No time left for a LOGOUT: shut the socket, so the
			 * one curl_easy_cleanup() attempts fails at once.
			 */
			shutdown(sock, SHUT_RDWR);
		} else if (sock != CURL_SOCKET_BAD &&
		    curl_easy_setopt(s->curl, CURLOPT_FORBID_REUSE, 1L) ==
		    CURLE_OK &&
		    curl_easy_setopt(s->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT,
		    (wait_ms + 999) / 1000) == CURLE_OK &&
		    curl_easy_setopt(s->curl, CURLOPT_URL, s->url) == CURLE_OK &&
		    curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, "NOOP") ==
		    CURLE_OK &&
		    curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS,
		    wait_ms) == CURLE_OK &&
		    curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS,
		    wait_ms) == CURLE_OK) {
			s->resp.len = 0;
			s->resp.max = IMAP_RESPONSE_MAX;
			(void)curl_easy_perform(s->curl);
		}
		curl_easy_cleanup(s->curl);
	}
	free(s->resp.data);
	free(s->url);
	free(s->fetch_url);
	free(s->user);
	free(s);
}

void
imap_found_free(struct imap_found *found)
{
	if (found == NULL)
		return;
	free(found->message);
	found->message = NULL;
	found->message_len = 0;
}
