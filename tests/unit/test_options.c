/* Unit tests: command-line parsing and the checks made before any traffic. */
#include <string.h>

#include "harness.h"
#include "options.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static enum options_result
parse(char **argv, int argc, struct options *o, char *why, size_t whysz)
{
	return options_parse(argc, argv, o, why, whysz);
}

TEST(minimal_direct_run)
{
	char *argv[] = { "mailive", "--to", "probe@sut.test", "--mode",
	    "direct", "--server", "127.0.0.21", "--imap",
	    "imap://u@127.0.0.30/INBOX", NULL };
	struct options o;
	char why[256];

	CHECK(parse(argv, ARGC(argv), &o, why, sizeof(why)) == OPTIONS_RUN);
	CHECK_STR(o.to, "probe@sut.test");
	CHECK(o.mode == MODE_DIRECT);
	CHECK_STR(o.server, "127.0.0.21");
	CHECK(o.port == 25);
	CHECK(o.tls_mode == SMTP_TLS_AUTO);
	CHECK(o.attach == ATTACH_NONE);
	CHECK(o.timeout_ms == 300000);
	CHECK(o.format == FORMAT_TEXT);
	CHECK(!o.keep);
}

TEST(defaults_mode_failover)
{
	char *argv[] = { "mailive", "--to", "a@b.example", "--imap",
	    "imaps://u@h.example/INBOX", NULL };
	struct options o;
	char why[256];

	CHECK(parse(argv, ARGC(argv), &o, why, sizeof(why)) == OPTIONS_RUN);
	CHECK(o.mode == MODE_FAILOVER);
}

TEST(every_value_parsed)
{
	char *argv[] = { "mailive", "--to", "a@b.example", "--imap",
	    "imaps://h.example:993/Forwarded", "--mode", "direct", "--server",
	    "[::1]:2525", "--tls", "on", "--attach", "pdf", "--format", "json",
	    "--timeout", "2.5", "--poll-interval", "0.25", "--keep", "-v",
	    "-v", "--from", "me@c.example", "--return-address",
	    "ret@c.example", "--helo", "probe.c.example", "--imap-user", "ret",
	    "--imap-password-file", "/x", "--dns-server", "127.0.0.1:5300",
	    "--tls-min", "1.3", "--ca-file", "/ca.pem", NULL };
	struct options o;
	char why[256];

	CHECK(parse(argv, ARGC(argv), &o, why, sizeof(why)) == OPTIONS_RUN);
	CHECK_STR(o.server, "::1");
	CHECK(o.port == 2525);
	CHECK(o.tls_mode == SMTP_TLS_ON);
	CHECK(o.attach == ATTACH_PDF);
	CHECK(o.format == FORMAT_JSON);
	CHECK(o.timeout_ms == 2500);
	CHECK(o.poll_interval_ms == 250);
	CHECK(o.keep);
	CHECK(o.verbose == 2);
	CHECK_STR(o.from, "me@c.example");
	CHECK_STR(o.return_address, "ret@c.example");
	CHECK_STR(o.helo, "probe.c.example");
	CHECK_STR(o.imap_user, "ret");
	CHECK_STR(o.dns_server, "127.0.0.1:5300");
	CHECK(o.tls_min > 0);
}

TEST(port_option_wins_over_server_port)
{
	char *argv[] = { "mailive", "--to", "a@b.example", "--imap",
	    "imap://u@h/INBOX", "--mode", "direct", "--port", "587",
	    "--server", "mx.example:2525", NULL };
	struct options o;
	char why[256];

	CHECK(parse(argv, ARGC(argv), &o, why, sizeof(why)) == OPTIONS_RUN);
	CHECK_STR(o.server, "mx.example");
	CHECK(o.port == 587);
}

/* Each bad command line must be refused, and the reason must name it. */
TEST(bad_input_is_refused_with_a_reason)
{
	static const struct {
		const char *args[8];
		const char *reason_mentions;
	} cases[] = {
		{ { "--imap", "imap://h/INBOX" }, "--to" },
		{ { "--to", "nobody", "--imap", "imap://h/INBOX" }, "local@domain" },
		{ { "--to", "a b@c", "--imap", "imap://h/INBOX" }, "--to" },
		{ { "--to", "a@b\r\nRSET", "--imap", "imap://h/INBOX" }, "control" },
		{ { "--to", "a@b.c" }, "--imap" },
		{ { "--to", "a@b.c", "--imap", "http://h/INBOX" }, "--imap" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--mode", "direct" }, "--server" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--server", "x" }, "--mode direct" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--mode", "fast" }, "--mode" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--tls", "yes" }, "--tls" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--attach", "zip" }, "--attach" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--format", "xml" }, "--format" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--timeout", "0" }, "--timeout" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--timeout", "-1" }, "--timeout" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--timeout", "abc" }, "--timeout" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--poll-interval", "0" }, "--poll-interval" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--port", "70000" }, "--port" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--mode", "direct", "--server", "h:0" }, "port" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--mode", "direct", "--server", "[::1" }, "IPv6" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--mode", "direct", "--server", "bad host" }, "--server" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--dns-server", "resolver.example" }, "--dns-server" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--helo", "bad helo" }, "--helo" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--bogus" }, "--bogus" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "stray" }, "stray" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I", "--timeout" }, "--timeout" },
		{ { "--to", "a@b.c", "--imap", "imap://h/I" }, "--imap-user" },
		{ { "-x4" }, "-x" },
		{ { "--to", "a@b.c", "-vx" }, "-x" },
		{ { "--tls-", "on" }, "ambiguous" },
		{ { "--keep=yes" }, "takes no value" },
		{ { "--to", "a@b.c", "--imap", "imap://h/u@x" }, "--imap-user" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[10] = { "mailive" };
		struct options o;
		char why[512];
		int argc = 1, j;

		for (j = 0; j < 8 && cases[i].args[j] != NULL; j++)
			argv[argc++] = (char *)cases[i].args[j];
		argv[argc] = NULL;
		CHECK(parse(argv, argc, &o, why, sizeof(why)) ==
		    OPTIONS_ERROR);
		if (strstr(why, cases[i].reason_mentions) == NULL) {
			printf("  case %zu: \"%s\" does not mention \"%s\"\n",
			    i, why, cases[i].reason_mentions);
			CHECK(!"reason names the problem");
		}
	}
}

TEST(help_and_version)
{
	char *h[] = { "mailive", "--help", NULL };
	char *v[] = { "mailive", "--version", NULL };
	struct options o;
	char why[256];

	CHECK(parse(h, ARGC(h), &o, why, sizeof(why)) == OPTIONS_HELP);
	CHECK(parse(v, ARGC(v), &o, why, sizeof(why)) == OPTIONS_VERSION);
	CHECK(strstr(options_usage(), "--to ADDR") != NULL);
}

TEST(server_forms)
{
	static const struct {
		const char *in, *host;
		int port;
	} ok[] = {
		{ "192.0.2.1", "192.0.2.1", 0 },
		{ "192.0.2.1:2525", "192.0.2.1", 2525 },
		{ "mx.example.org", "mx.example.org", 0 },
		{ "mx.example.org:587", "mx.example.org", 587 },
		{ "2001:db8::1", "2001:db8::1", 0 },
		{ "[2001:db8::1]", "2001:db8::1", 0 },
		{ "[::1]:25", "::1", 25 },
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char host[256], why[256];
		int port = -1;

		CHECK(options_parse_server(ok[i].in, host, sizeof(host),
		    &port, why, sizeof(why)) == 0);
		CHECK_STR(host, ok[i].host);
		CHECK(port == ok[i].port);
	}
}

TEST(default_from_is_the_return_address)
{
	char *argv[] = { "mailive", "--to", "a@b.example", "--imap",
	    "imap://u@h/INBOX", "--return-address", "ret@c.example", NULL };
	struct options o;
	char why[256];

	CHECK(parse(argv, ARGC(argv), &o, why, sizeof(why)) == OPTIONS_RUN);
	options_defaults(&o);
	CHECK_STR(o.from, "ret@c.example");
	CHECK(o.host_buf[0] != '\0');
	CHECK(o.helo == NULL || strchr(o.helo, '.') != NULL);
}

int
main(void)
{
	RUN(minimal_direct_run);
	RUN(defaults_mode_failover);
	RUN(every_value_parsed);
	RUN(port_option_wins_over_server_port);
	RUN(bad_input_is_refused_with_a_reason);
	RUN(help_and_version);
	RUN(server_forms);
	RUN(default_from_is_the_return_address);
	return harness_exit();
}
