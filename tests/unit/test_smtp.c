/* Unit tests: the SMTP reply parser, EHLO parser and dot-stuffing. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "smtp.h"

TEST(reply_line_valid)
{
	static const struct {
		const char *line;
		int code, more;
		const char *text;
	} cases[] = {
		{ "220 mx.example ESMTP", 220, 0, "mx.example ESMTP" },
		{ "250-PIPELINING", 250, 1, "PIPELINING" },
		{ "250 2.0.0 Ok: queued as 4Fx", 250, 0, "2.0.0 Ok: queued as 4Fx" },
		{ "354", 354, 0, "" },
		{ "421 ", 421, 0, "" },
		{ "550 5.1.1\tno", 550, 0, "5.1.1\tno" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code = 0, more = -1;
		const char *text = NULL;

		CHECK(smtp_parse_reply_line(cases[i].line, &code, &more,
		    &text) == NULL);
		CHECK(code == cases[i].code);
		CHECK(more == cases[i].more);
		CHECK_STR(text, cases[i].text);
	}
}

TEST(reply_line_invalid)
{
	static const char *const bad[] = {
		"", "25", "2x0 ok", "650 no such class", "150 too low",
		"250_underscore", "250x", "hello world", "250 bell\a",
		"250-esc\x1b[2J",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int code, more;
		const char *text;

		CHECK(smtp_parse_reply_line(bad[i], &code, &more, &text) !=
		    NULL);
	}
}

TEST(ehlo_capabilities)
{
	struct smtp_reply r = { .code = 250, .nlines = 8 };
	struct smtp_caps c;

	strcpy(r.text, "mx.example greets you\nPIPELINING\nSIZE 10240000\n"
	    "starttls\n8BITMIME\nAUTH PLAIN LOGIN\nSMTPUTF8\nSTARTTLSX");
	smtp_parse_ehlo(&r, &c);
	CHECK(c.esmtp);
	CHECK(c.starttls);
	CHECK(c.pipelining);
	CHECK(c.eightbitmime);
	CHECK(c.smtputf8);
	CHECK(!c.chunking);
	CHECK(c.size == 10240000);
	CHECK_STR(c.auth, "PLAIN LOGIN");
}

TEST(ehlo_name_line_is_not_a_capability)
{
	struct smtp_reply r = { .code = 250, .nlines = 2 };
	struct smtp_caps c;

	/* The server's own name can be anything, even a keyword. */
	strcpy(r.text, "STARTTLS\nSIZE");
	smtp_parse_ehlo(&r, &c);
	CHECK(!c.starttls);
	CHECK(c.size == 0);
}

TEST(ehlo_keyword_boundaries)
{
	struct smtp_reply r = { .code = 250, .nlines = 3 };
	struct smtp_caps c;

	strcpy(r.text, "mx\nSTARTTLSFOO\nSIZE notanumber");
	smtp_parse_ehlo(&r, &c);
	CHECK(!c.starttls);
	CHECK(c.size == 0);
}

static int
stuffed_is(const char *in, const char *want)
{
	size_t len;
	char *out = smtp_dot_stuff(in, strlen(in), &len);
	int ok = out != NULL && len == strlen(want) &&
	    memcmp(out, want, len) == 0;

	free(out);
	return ok;
}

TEST(dot_stuffing)
{
	CHECK(stuffed_is("a\r\nb\r\n", "a\r\nb\r\n.\r\n"));
	CHECK(stuffed_is(".hidden\r\n", "..hidden\r\n.\r\n"));
	CHECK(stuffed_is("x\r\n.\r\ny\r\n", "x\r\n..\r\ny\r\n.\r\n"));
	CHECK(stuffed_is("no final newline", "no final newline\r\n.\r\n"));
	CHECK(stuffed_is("lf\nonly\n.dot\n", "lf\r\nonly\r\n..dot\r\n.\r\n"));
	CHECK(stuffed_is("bare\rcr", "bare\r\ncr\r\n.\r\n"));
	CHECK(stuffed_is("", ".\r\n"));
	CHECK(stuffed_is("a.b\r\n", "a.b\r\n.\r\n"));
}

TEST(phase_names)
{
	CHECK_STR(smtp_phase_name(SMTP_PH_CONNECT), "connect");
	CHECK_STR(smtp_phase_name(SMTP_PH_RCPT), "rcpt");
	CHECK_STR(smtp_phase_name(SMTP_PH_MESSAGE), "message");
	CHECK_STR(smtp_phase_name(SMTP_PH_COUNT), "unknown");
}

int
main(void)
{
	RUN(reply_line_valid);
	RUN(reply_line_invalid);
	RUN(ehlo_capabilities);
	RUN(ehlo_name_line_is_not_a_capability);
	RUN(ehlo_keyword_boundaries);
	RUN(dot_stuffing);
	RUN(phase_names);
	return harness_exit();
}
