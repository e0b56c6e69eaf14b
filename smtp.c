/*
 * smtp.c - the SMTP client: one session, one message, one target.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "smtp.h"
#include "util.h"

/* QUIT is a courtesy; never wait long for its answer. */
#define SMTP_QUIT_WAIT_MS	5000

static const char *const phase_names[SMTP_PH_COUNT] = {
	[SMTP_PH_CONNECT] = "connect",
	[SMTP_PH_GREETING] = "greeting",
	[SMTP_PH_EHLO] = "ehlo",
	[SMTP_PH_STARTTLS] = "starttls",
	[SMTP_PH_TLS_HANDSHAKE] = "tls-handshake",
	[SMTP_PH_EHLO_TLS] = "ehlo-tls",
	[SMTP_PH_MAIL] = "mail",
	[SMTP_PH_RCPT] = "rcpt",
	[SMTP_PH_DATA] = "data",
	[SMTP_PH_MESSAGE] = "message",
	[SMTP_PH_QUIT] = "quit",
};

/* Everything one session needs, passed to every step. */
struct session {
	const struct smtp_params	*p;
	const struct smtp_target	*t;
	const struct deadline		*dl;
	struct smtp_outcome		*out;
	struct failure			*err;
	struct conn			*conn;
	int64_t				 phase_start_us;
};

const char *
smtp_phase_name(enum smtp_phase ph)
{
	if ((unsigned)ph >= SMTP_PH_COUNT)
		return "unknown";
	return phase_names[ph];
}

/* ---- pure parsers ------------------------------------------------------ */

const char *
smtp_parse_reply_line(const char *line, int *code, int *more,
    const char **text)
{
	size_t i, len = strlen(line);

	if (len < 3)
		return "reply line too short";
	if (line[0] < '2' || line[0] > '5')
		return "reply code out of range";
	for (i = 0; i < 3; i++)
		if (!isdigit((unsigned char)line[i]))
			return "reply code is not three digits";
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return "reply code not followed by a space or a dash";
	for (i = 3; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 && c != '\t')
			return "control character in reply";
	}
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	*more = len > 3 && line[3] == '-';
	*text = len > 4 ? line + 4 : "";
	return NULL;
}

/* Is word (case-insensitive) the keyword at the start of line? */
static int
keyword_is(const char *line, const char *word, const char **params)
{
	size_t n = strlen(word), i;

	for (i = 0; i < n; i++)
		if (tolower((unsigned char)line[i]) != word[i])
			return 0;
	if (line[n] != '\0' && line[n] != ' ' && line[n] != '=')
		return 0;
	*params = line + n + (line[n] != '\0');
	return 1;
}

void
smtp_parse_ehlo(const struct smtp_reply *r, struct smtp_caps *caps)
{
	const char *line = r->text, *params;
	int first = 1;

	memset(caps, 0, sizeof(*caps));
	caps->esmtp = 1;
	while (line != NULL && *line != '\0') {
		const char *nl = strchr(line, '\n');
		char one[SMTP_LINE_MAX];
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len >= sizeof(one))
			len = sizeof(one) - 1;
		memcpy(one, line, len);
		one[len] = '\0';
		line = nl ? nl + 1 : NULL;
		if (first) {	/* the first line is the server's name */
			first = 0;
			continue;
		}
		if (keyword_is(one, "starttls", &params))
			caps->starttls = 1;
		else if (keyword_is(one, "pipelining", &params))
			caps->pipelining = 1;
		else if (keyword_is(one, "8bitmime", &params))
			caps->eightbitmime = 1;
		else if (keyword_is(one, "smtputf8", &params))
			caps->smtputf8 = 1;
		else if (keyword_is(one, "chunking", &params))
			caps->chunking = 1;
		else if (keyword_is(one, "dsn", &params))
			caps->dsn = 1;
		else if (keyword_is(one, "size", &params)) {
			long long v = parse_uint(params, 0, (1LL << 53));

			caps->size = v > 0 ? v : 0;
		} else if (keyword_is(one, "auth", &params))
			sanitize_copy(caps->auth, sizeof(caps->auth), params);
	}
}

char *
smtp_dot_stuff(const char *msg, size_t len, size_t *outlen)
{
	/* Worst case: every byte a '.' at a line start or a bare LF. */
	size_t cap = 2 * len + 8, o = 0, i;
	int at_line_start = 1;
	char *out;

	if (len > (SIZE_MAX - 8) / 2 || (out = malloc(cap)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		char c = msg[i];

		if (at_line_start && c == '.')
			out[o++] = '.';
		at_line_start = 0;
		if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < len && msg[i + 1] == '\n')
				i++;
			out[o++] = '\r';
			out[o++] = '\n';
			at_line_start = 1;
			continue;
		}
		out[o++] = c;
	}
	if (!at_line_start) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	*outlen = o + 3;
	return out;
}

/* ---- the dialogue ------------------------------------------------------ */

static void
trace(const struct session *s, const char *dir, const char *line)
{
	char clean[SMTP_LINE_MAX];

	if (!s->p->verbose)
		return;
	sanitize_copy(clean, sizeof(clean), line);
	fprintf(stderr, "smtp %s [%s]:%d %s %s\n", s->t->host, s->t->address,
	    s->t->port, dir, clean);
}

static void
phase_begin(struct session *s, enum smtp_phase ph)
{
	s->out->reached = ph;
	s->phase_start_us = mono_now_us();
}

static void
phase_end(struct session *s, enum smtp_phase ph)
{
	s->out->phase_us[ph] = mono_now_us() - s->phase_start_us;
}

/* Where we are, for every message: "mx1.example [192.0.2.1]:25". */
static void
describe_target(const struct session *s, char *out, size_t outsz)
{
	if (strcmp(s->t->host, s->t->address) == 0)
		snprintf(out, outsz, "%s:%d", s->t->address, s->t->port);
	else
		snprintf(out, outsz, "%s [%s]:%d", s->t->host, s->t->address,
		    s->t->port);
}

/* Put the target and phase in front of what a lower layer reported. */
static int
fail_context(struct session *s, enum smtp_phase ph)
{
	char where[FAIL_HOST_MAX + FAIL_ADDR_MAX + 16];
	char detail[FAIL_MESSAGE_MAX];

	describe_target(s, where, sizeof(where));
	copy_string(detail, sizeof(detail), s->err->message);
	snprintf(s->err->message, sizeof(s->err->message), "%s, %s: %s",
	    where, smtp_phase_name(ph), detail);
	failure_stage(s->err, smtp_phase_name(ph));
	return -1;
}

static int
read_reply(struct session *s, enum smtp_phase ph, struct smtp_reply *r)
{
	char line[SMTP_LINE_MAX];
	size_t used = 0;
	int code, more;
	const char *text, *why;

	memset(r, 0, sizeof(*r));
	do {
		if (conn_read_line(s->conn, line, sizeof(line), s->dl,
		    smtp_phase_name(ph), s->err) == -1)
			return fail_context(s, ph);
		trace(s, "<<<", line);
		if ((why = smtp_parse_reply_line(line, &code, &more,
		    &text)) != NULL) {
			char clean[120];

			sanitize_copy(clean, sizeof(clean), line);
			failure_set(s->err, FAIL_PROTOCOL, "", "the server "
			    "sent an invalid reply (%s): \"%s\"", why, clean);
			return fail_context(s, ph);
		}
		if (r->nlines > 0 && code != r->code) {
			failure_set(s->err, FAIL_PROTOCOL, "", "reply lines "
			    "carry different codes (%d, then %d)", r->code,
			    code);
			return fail_context(s, ph);
		}
		if (++r->nlines > SMTP_REPLY_MAX_LINES) {
			failure_set(s->err, FAIL_PROTOCOL, "", "the reply has "
			    "more than %d lines", SMTP_REPLY_MAX_LINES);
			return fail_context(s, ph);
		}
		r->code = code;
		if (used + strlen(text) + 2 < sizeof(r->text))
			used += (size_t)snprintf(r->text + used,
			    sizeof(r->text) - used, "%s%s",
			    r->nlines > 1 ? "\n" : "", text);
	} while (more);
	return 0;
}

static int
send_command(struct session *s, enum smtp_phase ph, const char *cmd)
{
	char line[SMTP_LINE_MAX + 2];
	int n;

	n = snprintf(line, sizeof(line), "%s\r\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		failure_set(s->err, FAIL_LOCAL, "", "command too long");
		return fail_context(s, ph);
	}
	trace(s, ">>>", cmd);
	if (conn_write(s->conn, line, (size_t)n, s->dl, smtp_phase_name(ph),
	    s->err) == -1)
		return fail_context(s, ph);
	return 0;
}

/* Turn a reply of the wrong kind into a failure that names it. */
static int
fail_reply(struct session *s, enum smtp_phase ph, const char *what,
    const struct smtp_reply *r)
{
	char where[FAIL_HOST_MAX + FAIL_ADDR_MAX + 16];
	char oneline[SMTP_REPLY_TEXT_MAX];
	enum fail_class class;

	describe_target(s, where, sizeof(where));
	sanitize_copy(oneline, sizeof(oneline), r->text);
	if (r->code >= 500)
		class = FAIL_PERMANENT;
	else if (r->code >= 400)
		class = FAIL_TEMPORARY;
	else
		class = FAIL_PROTOCOL;
	failure_set(s->err, class, smtp_phase_name(ph),
	    "%s %s by %s: %d %s%s", what,
	    class == FAIL_PROTOCOL ? "answered unexpectedly" : "refused",
	    where, r->code, oneline,
	    class == FAIL_TEMPORARY ? " (temporary: try again later)" :
	    class == FAIL_PERMANENT ? " (permanent)" : "");
	failure_reply(s->err, r->code, oneline);
	return -1;
}

/* Send one command, read its reply, time both, and check the reply class. */
static int
exchange(struct session *s, enum smtp_phase ph, const char *cmd,
    int want, struct smtp_reply *r)
{
	phase_begin(s, ph);
	if (send_command(s, ph, cmd) == -1 || read_reply(s, ph, r) == -1)
		return -1;
	phase_end(s, ph);
	if (r->code / 100 != want)
		return fail_reply(s, ph, cmd, r);
	return 0;
}

static int
do_connect(struct session *s)
{
	phase_begin(s, SMTP_PH_CONNECT);
	s->conn = conn_open(s->t->sa, s->t->salen, s->t->bind_sa,
	    s->t->bind_salen, s->dl, "connect", s->err);
	if (s->conn == NULL) {
		if (s->err->class == FAIL_CONNECT)
			strncat(s->err->message, " (is an SMTP server running "
			    "there, and is the port open to this host?)",
			    sizeof(s->err->message) -
			    strlen(s->err->message) - 1);
		return fail_context(s, SMTP_PH_CONNECT);
	}
	phase_end(s, SMTP_PH_CONNECT);
	return 0;
}

static int
do_greeting(struct session *s)
{
	struct smtp_reply r;

	phase_begin(s, SMTP_PH_GREETING);
	if (read_reply(s, SMTP_PH_GREETING, &r) == -1)
		return -1;
	phase_end(s, SMTP_PH_GREETING);
	sanitize_copy(s->out->greeting, sizeof(s->out->greeting), r.text);
	if (r.code != 220)
		return fail_reply(s, SMTP_PH_GREETING, "the connection", &r);
	return 0;
}

/* EHLO, or HELO when the server does not know EHLO (RFC 5321 3.2). */
static int
do_ehlo(struct session *s, enum smtp_phase ph)
{
	struct smtp_reply r;
	char cmd[SMTP_LINE_MAX], literal[64];
	const char *name = s->p->helo;

	if (name == NULL) {
		conn_local_literal(s->conn, literal, sizeof(literal));
		name = literal;
	}
	snprintf(cmd, sizeof(cmd), "EHLO %s", name);
	phase_begin(s, ph);
	if (send_command(s, ph, cmd) == -1 || read_reply(s, ph, &r) == -1)
		return -1;
	if (r.code / 100 == 2) {
		phase_end(s, ph);
		smtp_parse_ehlo(&r, &s->out->caps);
		return 0;
	}
	if (r.code / 100 != 5 || ph == SMTP_PH_EHLO_TLS)
		return fail_reply(s, ph, "EHLO", &r);
	snprintf(cmd, sizeof(cmd), "HELO %s", name);
	if (send_command(s, ph, cmd) == -1 || read_reply(s, ph, &r) == -1)
		return -1;
	phase_end(s, ph);
	if (r.code / 100 != 2)
		return fail_reply(s, ph, "HELO", &r);
	memset(&s->out->caps, 0, sizeof(s->out->caps));
	s->out->used_helo = 1;
	return 0;
}

static int
do_starttls(struct session *s)
{
	struct smtp_reply r;
	int rc;

	s->out->starttls_offered = s->out->caps.starttls;
	if (s->p->tls_mode == SMTP_TLS_OFF ||
	    (s->p->tls_mode == SMTP_TLS_AUTO && !s->out->caps.starttls))
		return 0;
	if (!s->out->caps.starttls) {
		failure_set(s->err, FAIL_TLS, "", "the server does not offer "
		    "STARTTLS%s, and --tls on requires it",
		    s->out->used_helo ? " (it refused EHLO)" : "");
		return fail_context(s, SMTP_PH_STARTTLS);
	}
	rc = exchange(s, SMTP_PH_STARTTLS, "STARTTLS", 2, &r);
	if (rc == -1 && s->err->code != 0)	/* refused: say so as TLS */
		s->err->class = FAIL_TLS;
	if (rc == -1)
		return -1;
	/* Anything sent before the handshake could be injected: drop it. */
	s->out->starttls_discarded = conn_pending(s->conn);
	if (s->out->starttls_discarded > 0) {
		trace(s, "!!!", "plaintext after the 220 to STARTTLS "
		    "discarded (possible injection)");
		conn_discard_pending(s->conn);
	}
	phase_begin(s, SMTP_PH_TLS_HANDSHAKE);
	if (conn_start_tls(s->conn, &s->p->tls, s->t->host, s->dl,
	    &s->out->tls, s->err) == -1)
		return fail_context(s, SMTP_PH_TLS_HANDSHAKE);
	phase_end(s, SMTP_PH_TLS_HANDSHAKE);
	s->out->tls_used = 1;
	trace(s, "===", "TLS established");
	if (s->p->tls_verify && !s->out->tls.verified) {
		failure_set(s->err, FAIL_TLS, "", "the certificate did not "
		    "verify (%s) and --tls-verify requires it",
		    s->out->tls.verify_result);
		return fail_context(s, SMTP_PH_TLS_HANDSHAKE);
	}
	/* RFC 3207 4.2: forget what we knew and ask again. */
	return do_ehlo(s, SMTP_PH_EHLO_TLS);
}

static int
do_transaction(struct session *s)
{
	struct smtp_reply r;
	char cmd[SMTP_LINE_MAX];
	char *body;
	size_t body_len;
	int rc;

	if (s->out->caps.size > 0)
		snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s> SIZE=%zu",
		    s->p->from, s->p->message_len);
	else
		snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", s->p->from);
	if (exchange(s, SMTP_PH_MAIL, cmd, 2, &r) == -1)
		return -1;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", s->p->to);
	if (exchange(s, SMTP_PH_RCPT, cmd, 2, &r) == -1)
		return -1;
	if (exchange(s, SMTP_PH_DATA, "DATA", 3, &r) == -1)
		return -1;

	body = smtp_dot_stuff(s->p->message, s->p->message_len, &body_len);
	if (body == NULL) {
		failure_set(s->err, FAIL_LOCAL, "", "out of memory");
		return fail_context(s, SMTP_PH_MESSAGE);
	}
	phase_begin(s, SMTP_PH_MESSAGE);
	if (s->p->verbose)
		fprintf(stderr, "smtp %s [%s]:%d >>> (message, %zu bytes, "
		    "then \".\")\n", s->t->host, s->t->address, s->t->port,
		    body_len);
	rc = conn_write(s->conn, body, body_len, s->dl, "message", s->err);
	free(body);
	if (rc == -1)
		return fail_context(s, SMTP_PH_MESSAGE);
	if (read_reply(s, SMTP_PH_MESSAGE, &r) == -1)
		return -1;
	phase_end(s, SMTP_PH_MESSAGE);
	if (r.code / 100 != 2)
		return fail_reply(s, SMTP_PH_MESSAGE, "the message", &r);
	s->out->accepted_mono_ms = mono_now_ms();
	s->out->accepted_wall_ms = wall_now_ms();
	s->out->final_code = r.code;
	sanitize_copy(s->out->final_reply, sizeof(s->out->final_reply),
	    r.text);
	s->out->delivered = 1;
	return 0;
}

/* QUIT politely; the message is already accepted, so failures only count. */
static void
do_quit(struct session *s)
{
	struct deadline quit_dl;
	struct failure ignored;
	struct smtp_reply r;
	const struct deadline *saved = s->dl;
	struct failure *saved_err = s->err;

	quit_dl.end_ms = mono_now_ms() + SMTP_QUIT_WAIT_MS;
	if (quit_dl.end_ms > saved->end_ms)
		quit_dl.end_ms = saved->end_ms;
	failure_clear(&ignored);
	s->dl = &quit_dl;
	s->err = &ignored;
	s->out->quit_ok = exchange(s, SMTP_PH_QUIT, "QUIT", 2, &r) == 0;
	s->dl = saved;
	s->err = saved_err;
}

int
smtp_deliver(const struct smtp_params *p, const struct smtp_target *t,
    const struct deadline *dl, struct smtp_outcome *out, struct failure *err)
{
	struct session s = { .p = p, .t = t, .dl = dl, .out = out,
	    .err = err };
	int64_t start = mono_now_us();
	int i, rc;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < SMTP_PH_COUNT; i++)
		out->phase_us[i] = -1;
	failure_where(err, t->host, t->address, t->port);
	rc = do_connect(&s);
	if (rc == 0)
		rc = do_greeting(&s);
	if (rc == 0)
		rc = do_ehlo(&s, SMTP_PH_EHLO);
	if (rc == 0)
		rc = do_starttls(&s);
	if (rc == 0)
		rc = do_transaction(&s);
	if (rc == 0)
		do_quit(&s);
	conn_close(s.conn);
	out->total_us = mono_now_us() - start;
	if (rc == -1)
		failure_where(err, t->host, t->address, t->port);
	return rc;
}
