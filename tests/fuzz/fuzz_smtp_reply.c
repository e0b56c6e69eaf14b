/*
 * fuzz_smtp_reply.c - the SMTP reply parsers and the DATA dot-stuffer.
 *
 * The input is what a server might send: it is split into lines (LF, an
 * optional CR before it dropped) and each line goes to
 * smtp_parse_reply_line(); the lines are gathered into a struct smtp_reply
 * as smtp.c's read_reply() does, and the raw bytes (bounded) make a second
 * one, both for smtp_parse_ehlo().  The same bytes, taken as a message,
 * go through smtp_dot_stuff(), whose output is checked against the rules
 * in smtp.h.
 */
#include "fuzz.h"
#include "smtp.h"

static void
check_caps(const struct smtp_caps *c, int nlines)
{
	size_t i;

	FUZZ_ASSERT(c->esmtp == 1);
	FUZZ_ASSERT(c->starttls == 0 || c->starttls == 1);
	FUZZ_ASSERT(c->pipelining == 0 || c->pipelining == 1);
	FUZZ_ASSERT(c->eightbitmime == 0 || c->eightbitmime == 1);
	FUZZ_ASSERT(c->smtputf8 == 0 || c->smtputf8 == 1);
	FUZZ_ASSERT(c->chunking == 0 || c->chunking == 1);
	FUZZ_ASSERT(c->dsn == 0 || c->dsn == 1);
	FUZZ_ASSERT(c->size >= 0 && c->size <= (1LL << 53));
	FUZZ_ASSERT(fuzz_terminated(c->auth, sizeof(c->auth)));
	for (i = 0; c->auth[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)c->auth[i];

		FUZZ_ASSERT((ch >= 0x20 && ch < 0x7f) || ch == '\t');
	}
	/* The first line is the server's name, never a capability. */
	if (nlines <= 1)
		FUZZ_ASSERT(!c->starttls && !c->pipelining &&
		    !c->eightbitmime && !c->smtputf8 && !c->chunking &&
		    !c->dsn && c->size == 0 && c->auth[0] == '\0');
}

/* One line, NUL-terminated in a buffer of exactly its size. */
static const char *
parse_line(const char *line, int *code, int *more, const char **text)
{
	size_t len = strlen(line), i;
	const char *why;

	*code = -1;
	*more = -1;
	*text = NULL;
	why = smtp_parse_reply_line(line, code, more, text);
	if (why != NULL) {
		FUZZ_ASSERT(why[0] != '\0');
		return why;
	}
	FUZZ_ASSERT(len >= 3);
	FUZZ_ASSERT(*code >= 200 && *code <= 599);
	FUZZ_ASSERT(*code == (line[0] - '0') * 100 + (line[1] - '0') * 10 +
	    (line[2] - '0'));
	FUZZ_ASSERT(*more == (len > 3 && line[3] == '-'));
	FUZZ_ASSERT(len == 3 || line[3] == ' ' || line[3] == '-');
	FUZZ_ASSERT(*text != NULL);
	if (len > 4)
		FUZZ_ASSERT(*text == line + 4);
	else
		FUZZ_ASSERT((*text)[0] == '\0');
	for (i = 3; i < len; i++)
		FUZZ_ASSERT((unsigned char)line[i] >= 0x20 || line[i] == '\t');
	return NULL;
}

static void
fuzz_reply_lines(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct smtp_reply r;
	struct smtp_caps caps;
	size_t used = 0;

	memset(&r, 0, sizeof(r));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (nl != NULL ? (size_t)(nl - p) : (size_t)(end - p));
		char *line;
		const char *text;
		int code, more;

		if (len > 0 && p[len - 1] == '\r')
			len--;
		line = fuzz_strndup(p, len);
		p = nl != NULL ? nl + 1 : end;
		if (parse_line(line, &code, &more, &text) != NULL ||
		    len >= SMTP_LINE_MAX ||
		    (r.nlines > 0 && code != r.code) ||
		    r.nlines + 1 > SMTP_REPLY_MAX_LINES) {
			/* read_reply() fails here; start a new reply */
			memset(&r, 0, sizeof(r));
			used = 0;
			free(line);
			continue;
		}
		/* as smtp.c's read_reply() gathers it */
		r.nlines++;
		r.code = code;
		if (used + strlen(text) + 2 < sizeof(r.text))
			used += (size_t)snprintf(r.text + used,
			    sizeof(r.text) - used, "%s%s",
			    r.nlines > 1 ? "\n" : "", text);
		if (!more) {
			smtp_parse_ehlo(&r, &caps);
			check_caps(&caps, r.nlines);
			memset(&r, 0, sizeof(r));
			used = 0;
		}
		free(line);
	}
}

/* The raw bytes as a reply text, bounded: garbage smtp.c never builds. */
static void
fuzz_ehlo_raw(const uint8_t *data, size_t size)
{
	struct smtp_reply r;
	struct smtp_caps caps;
	size_t n = size < sizeof(r.text) - 1 ? size : sizeof(r.text) - 1, i;
	char *first;
	const char *text, *nl;
	int code, more;

	memset(&r, 0, sizeof(r));
	memcpy(r.text, data, n);
	r.text[n] = '\0';
	nl = memchr(data, '\n', size);
	first = fuzz_strndup(data, nl != NULL ? (size_t)(nl - (const char *)data)
	    : size);
	r.code = smtp_parse_reply_line(first, &code, &more, &text) == NULL ?
	    code : 250;
	free(first);
	r.nlines = 1;
	for (i = 0; r.text[i] != '\0'; i++)
		if (r.text[i] == '\n')
			r.nlines++;
	smtp_parse_ehlo(&r, &caps);
	check_caps(&caps, r.nlines);
}

/* Every line of the message, after removing one stuffed '.', again. */
static void
fuzz_dot_stuff(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	char *out, *want;
	size_t outlen = 0, i, w = 0, o, body;

	out = smtp_dot_stuff(msg, size, &outlen);
	FUZZ_ASSERT(out != NULL);
	FUZZ_ASSERT(outlen <= 2 * size + 8);

	/* The terminator: ".\r\n" alone for an empty message. */
	if (size == 0)
		FUZZ_ASSERT(outlen == 3 && memcmp(out, ".\r\n", 3) == 0);
	else
		FUZZ_ASSERT(outlen >= 5 &&
		    memcmp(out + outlen - 5, "\r\n.\r\n", 5) == 0);
	body = outlen - 3;

	/* No bare CR, no bare LF. */
	for (i = 0; i < outlen; i++) {
		if (out[i] == '\r')
			FUZZ_ASSERT(i + 1 < outlen && out[i + 1] == '\n');
		if (out[i] == '\n')
			FUZZ_ASSERT(i > 0 && out[i - 1] == '\r');
	}

	/*
	 * The input with every line break (CRLF, bare CR, bare LF) made CRLF
	 * and a final CRLF added when missing: what the body must be once
	 * the stuffed dots are removed.
	 */
	want = malloc(2 * size + 2);
	FUZZ_ASSERT(want != NULL);
	for (i = 0; i < size; i++) {
		if (msg[i] == '\r' || msg[i] == '\n') {
			if (msg[i] == '\r' && i + 1 < size && msg[i + 1] == '\n')
				i++;
			want[w++] = '\r';
			want[w++] = '\n';
		} else
			want[w++] = msg[i];
	}
	if (w > 0 && want[w - 1] != '\n') {
		want[w++] = '\r';
		want[w++] = '\n';
	}

	/* Unstuff the body line by line, comparing as we go. */
	for (o = 0, i = 0; o < body; ) {
		const char *lf = memchr(out + o, '\n', body - o);
		size_t llen;

		FUZZ_ASSERT(lf != NULL);	/* the body ends in CRLF */
		llen = (size_t)(lf - (out + o)) + 1;
		if (out[o] == '.') {
			/* a line starting with '.' had one in the input */
			FUZZ_ASSERT(llen >= 4 && out[o + 1] == '.');
			o++;
			llen--;
		}
		FUZZ_ASSERT(i + llen <= w &&
		    memcmp(out + o, want + i, llen) == 0);
		o += llen;
		i += llen;
	}
	FUZZ_ASSERT(i == w);
	free(want);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reply_lines(data, size);
	fuzz_ehlo_raw(data, size);
	fuzz_dot_stuff(data, size);
	return 0;
}
