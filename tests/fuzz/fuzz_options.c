/*
 * fuzz_options.c - the command line and the small string checks.
 *
 * The input is split on NUL and newline into at most 32 words, each in a
 * buffer of exactly its size, which become argv[1..] after "mailive" for
 * options_parse() (which restarts getopt_long itself).  options_parse()
 * keeps pointers into argv, so the result is checked while argv lives.
 * Each word, and the whole input up to its first NUL, also goes to
 * options_parse_server(), options_check_address(), dns_parse_server(),
 * dns_parse_ip_literal() and report_queue_id(), with output buffers of
 * exactly the size given (small ones included).
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include "dns.h"
#include "fuzz.h"
#include "options.h"
#include "report.h"

#define MAX_WORDS	32

/* Does p point into one of the words (or is NULL)? */
static int
in_argv(const char *p, char **argv, int argc)
{
	int i;

	if (p == NULL)
		return 1;
	for (i = 0; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return 1;
	return 0;
}

static void
check_options(enum options_result r, const struct options *o, char **argv,
    int argc, const char *why, size_t whysz)
{
	FUZZ_ASSERT(r == OPTIONS_RUN || r == OPTIONS_HELP ||
	    r == OPTIONS_VERSION || r == OPTIONS_ERROR);
	FUZZ_ASSERT(fuzz_terminated(why, whysz));
	if (r == OPTIONS_ERROR)
		FUZZ_ASSERT(whysz < 2 || why[0] != '\0');
	if (r != OPTIONS_RUN)
		return;
	FUZZ_ASSERT(o->to != NULL && o->imap_url != NULL);
	FUZZ_ASSERT(in_argv(o->to, argv, argc) &&
	    in_argv(o->return_address, argv, argc) &&
	    in_argv(o->from, argv, argc) && in_argv(o->helo, argv, argc) &&
	    in_argv(o->ca_file, argv, argc) &&
	    in_argv(o->imap_url, argv, argc) &&
	    in_argv(o->dns_server, argv, argc) &&
	    in_argv(o->bind, argv, argc));
	FUZZ_ASSERT(o->port >= 1 && o->port <= 65535);
	FUZZ_ASSERT((o->mode == MODE_DIRECT) == (o->server != NULL));
	if (o->server != NULL) {
		FUZZ_ASSERT(o->server == o->server_buf);
		FUZZ_ASSERT(fuzz_terminated(o->server_buf,
		    sizeof(o->server_buf)));
		FUZZ_ASSERT(o->server_buf[0] != '\0');
	}
	FUZZ_ASSERT(o->timeout_ms > 0 && o->timeout_ms <= 24LL * 3600 * 1000);
	FUZZ_ASSERT(o->poll_interval_ms >= 10);
	FUZZ_ASSERT(o->max_attempts >= 1 && o->max_attempts <= 32);
	FUZZ_ASSERT(o->family == AF_UNSPEC || o->family == AF_INET ||
	    o->family == AF_INET6);
	FUZZ_ASSERT(o->verbose >= 0);
}

/* Each pure checker on s, with output buffers of exactly bufsz bytes. */
static void
fuzz_string(const char *s, size_t bufsz)
{
	char *buf = malloc(bufsz), *why = malloc(bufsz);
	char addr[INET6_ADDRSTRLEN];
	struct dns_addr a;
	int port, rc;

	FUZZ_ASSERT(buf != NULL && why != NULL);

	port = -1;
	rc = options_parse_server(s, buf, bufsz, &port, why, bufsz);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_ASSERT(fuzz_terminated(buf, bufsz));
		FUZZ_ASSERT(port >= 0 && port <= 65535);
	} else
		FUZZ_ASSERT(fuzz_terminated(why, bufsz));

	rc = options_check_address(s, why, bufsz);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == -1)
		FUZZ_ASSERT(fuzz_terminated(why, bufsz));
	else
		FUZZ_ASSERT(strchr(s, '@') != NULL && strlen(s) <= 254);

	port = -1;
	rc = dns_parse_server(s, addr, sizeof(addr), &port, why, bufsz);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0) {
		unsigned char raw[16];

		FUZZ_ASSERT(fuzz_terminated(addr, sizeof(addr)));
		FUZZ_ASSERT(port >= 1 && port <= 65535);
		FUZZ_ASSERT(inet_pton(AF_INET, addr, raw) == 1 ||
		    inet_pton(AF_INET6, addr, raw) == 1);
	} else
		FUZZ_ASSERT(fuzz_terminated(why, bufsz));
	/* and with the address buffer as small as the others */
	rc = dns_parse_server(s, buf, bufsz, &port, why, bufsz);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0)
		FUZZ_ASSERT(fuzz_terminated(buf, bufsz));

	memset(&a, 0, sizeof(a));
	rc = dns_parse_ip_literal(s, &a);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_ASSERT(a.family == AF_INET || a.family == AF_INET6);
		FUZZ_ASSERT(fuzz_terminated(a.text, sizeof(a.text)));
		FUZZ_ASSERT(a.sa.ss_family == a.family);
	}

	report_queue_id(s, buf, bufsz);
	FUZZ_ASSERT(fuzz_terminated(buf, bufsz));
	FUZZ_ASSERT(buf[0] == '\0' || buf[strlen(buf) - 1] != '.');

	free(why);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_WORDS + 2];
	char *whole;
	struct options o;
	char why[256];
	size_t i, start, bufsz;
	int argc = 0, k;
	enum options_result r;

	/* the output buffers: 1..16 bytes, or 256, by the input's length */
	bufsz = size % 17 == 16 ? 256 : size % 17 + 1;

	argv[argc++] = fuzz_strndup("mailive", 7);
	for (i = 0, start = 0; i <= size && argc < MAX_WORDS + 1; i++) {
		if (i < size && data[i] != '\0' && data[i] != '\n')
			continue;
		if (i == size && start == size && size > 0)
			break;	/* no empty word after a final separator */
		argv[argc++] = fuzz_strndup(data + start, i - start);
		start = i + 1;
	}
	argv[argc] = NULL;

	/* getopt_long permutes argv: hand it a copy of the pointers */
	{
		char *args[MAX_WORDS + 2];

		memcpy(args, argv, sizeof(args));
		memset(why, 'x', sizeof(why));
		r = options_parse(argc, args, &o, why, sizeof(why));
		check_options(r, &o, argv, argc, why, sizeof(why));
	}

	for (k = 1; k < argc; k++)
		fuzz_string(argv[k], bufsz);
	whole = fuzz_strndup(data, size);
	fuzz_string(whole, bufsz);
	free(whole);

	for (k = 0; k < argc; k++)
		free(argv[k]);
	return 0;
}
