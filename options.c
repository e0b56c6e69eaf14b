/*
 * options.c - parse and check the command line before any traffic.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "imap_poll.h"
#include "dns.h"
#include "options.h"
#include "tls.h"
#include "util.h"

#define DEFAULT_TIMEOUT_MS	 300000
#define DEFAULT_POLL_MS		 1000
#define MAX_TIMEOUT_MS		 (24LL * 3600 * 1000)
#define MIN_POLL_MS		 10
#define DEFAULT_MAX_ATTEMPTS	 10
#define MAX_ATTEMPTS		 32	/* RESULT_MAX_ATTEMPTS */

/* Long-only options get values above any character. */
enum {
	OPT_ATTACH = 256, OPT_BIND, OPT_CA_FILE, OPT_CERT_CRIT, OPT_CERT_WARN, OPT_DNS_SERVER, OPT_FORMAT, OPT_FROM,
	OPT_HELO, OPT_IMAP, OPT_IMAP_CA_FILE, OPT_IMAP_PASSWORD_FILE, OPT_IMAP_USER, OPT_KEEP,
	OPT_MAX_ATTEMPTS, OPT_MODE, OPT_STATE_DIR, OPT_POLL_INTERVAL, OPT_PORT, OPT_RETURN_ADDRESS, OPT_SERVER,
	OPT_TIMEOUT, OPT_TLS, OPT_TLS_MIN, OPT_TLS_VERIFY, OPT_TO, OPT_VERSION
};

/* Sorted by name, as usage() lists them. */
static const struct option long_options[] = {
	{ "attach",		required_argument, NULL, OPT_ATTACH },
	{ "bind",		required_argument, NULL, OPT_BIND },
	{ "ca-file",		required_argument, NULL, OPT_CA_FILE },
	{ "cert-crit",		required_argument, NULL, OPT_CERT_CRIT },
	{ "cert-warn",		required_argument, NULL, OPT_CERT_WARN },
	{ "dns-server",		required_argument, NULL, OPT_DNS_SERVER },
	{ "format",		required_argument, NULL, OPT_FORMAT },
	{ "from",		required_argument, NULL, OPT_FROM },
	{ "helo",		required_argument, NULL, OPT_HELO },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "imap",		required_argument, NULL, OPT_IMAP },
	{ "imap-ca-file",	required_argument, NULL, OPT_IMAP_CA_FILE },
	{ "imap-password-file",	required_argument, NULL,
	    OPT_IMAP_PASSWORD_FILE },
	{ "imap-user",		required_argument, NULL, OPT_IMAP_USER },
	{ "ipv4",		no_argument,	   NULL, '4' },
	{ "ipv6",		no_argument,	   NULL, '6' },
	{ "keep",		no_argument,	   NULL, OPT_KEEP },
	{ "max-attempts",	required_argument, NULL, OPT_MAX_ATTEMPTS },
	{ "mode",		required_argument, NULL, OPT_MODE },
	{ "poll-interval",	required_argument, NULL, OPT_POLL_INTERVAL },
	{ "port",		required_argument, NULL, OPT_PORT },
	{ "return-address",	required_argument, NULL, OPT_RETURN_ADDRESS },
	{ "server",		required_argument, NULL, OPT_SERVER },
	{ "state-dir",		required_argument, NULL, OPT_STATE_DIR },
	{ "timeout",		required_argument, NULL, OPT_TIMEOUT },
	{ "tls",		required_argument, NULL, OPT_TLS },
	{ "tls-min",		required_argument, NULL, OPT_TLS_MIN },
	{ "tls-verify",		no_argument,	   NULL, OPT_TLS_VERIFY },
	{ "to",			required_argument, NULL, OPT_TO },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char usage_text[] =
"usage: mailive --to ADDR --imap URL [--mode direct|mx|failover]\n"
"               [--server HOST[:PORT]] [--port N] [--tls on|auto|off]\n"
"               [--tls-min 1.0|1.1|1.2|1.3] [--tls-verify] [--ca-file FILE]\n"
"               [--cert-warn DAYS] [--cert-crit DAYS] [--attach none|docx|pdf]\n"
"               [--from ADDR] [--return-address ADDR] [--helo NAME]\n"
"               [--imap-user NAME] [--imap-password-file FILE]\n"
"               [--imap-ca-file FILE]\n"
"               [--poll-interval SECONDS] [--keep] [--timeout SECONDS]\n"
"               [--dns-server ADDR[:PORT]] [-4|-6] [--bind ADDR]\n"
"               [--max-attempts N] [--state-dir DIR] [--format text|json] [-v]\n"
"       mailive --help | --version\n"
"\n"
"Sends one uniquely tagged message to --to and waits for the server's\n"
"auto-forwarder to deliver the copy to the mailbox at --imap.  The IMAP\n"
"password comes from --imap-password-file or MAILIVE_IMAP_PASSWORD.\n"
"Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.  See mailive(1).\n";

const char *
options_usage(void)
{
	return usage_text;
}

/* The values of keyword options, in the order of their enums. */
static const char *const mode_names[] = { "direct", "mx", "failover", NULL };
static const char *const tls_names[] = { "off", "auto", "on", NULL };
static const char *const format_names[] = { "text", "json", NULL };

const char *
options_mode_name(enum delivery_mode m)
{
	return mode_names[m];
}

const char *
options_tls_name(enum smtp_tls_mode t)
{
	return tls_names[t];
}

/* arg as an index into names; -1 with a reason naming the choices. */
static int
parse_choice(const char *option, const char *arg, const char *const names[],
    char *why, size_t whysz)
{
	size_t i, used;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(arg, names[i]) == 0)
			return (int)i;
	used = (size_t)snprintf(why, whysz, "%s: \"%s\" is not one of",
	    option, arg);
	for (i = 0; names[i] != NULL && used < whysz; i++)
		used += (size_t)snprintf(why + used, whysz - used, "%s %s",
		    i ? "," : "", names[i]);
	return -1;
}

int
options_check_address(const char *a, char *why, size_t whysz)
{
	const char *at = strrchr(a, '@');
	size_t len = strlen(a);
	const char *p;

	if (len == 0 || len > 254) {
		snprintf(why, whysz, "is empty or longer than 254 characters");
		return -1;
	}
	for (p = a; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || c == '<' || c == '>') {
			snprintf(why, whysz, "contains a space, control "
			    "character, angle bracket or non-ASCII byte");
			return -1;
		}
	}
	if (at == NULL || at == a || at[1] == '\0') {
		snprintf(why, whysz, "is not of the form local@domain");
		return -1;
	}
	if (at[1] == '.' || a[len - 1] == '.' || strstr(at, "..") != NULL) {
		snprintf(why, whysz, "has a malformed domain");
		return -1;
	}
	return 0;
}

static int
valid_hostname(const char *h)
{
	size_t len = strlen(h);
	const char *p;

	if (len == 0 || len > 253 || h[0] == '.' || h[0] == '-')
		return 0;
	for (p = h; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_')
			return 0;
	return strstr(h, "..") == NULL;
}

static int
is_ipv6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

int
options_parse_server(const char *s, char *host, size_t hostsz, int *port,
    char *why, size_t whysz)
{
	const char *colon;
	char portbuf[8];
	size_t hlen;

	*port = 0;
	if (is_ipv6(s)) {		/* a bare IPv6 address has no port */
		copy_string(host, hostsz, s);
		return 0;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
			snprintf(why, whysz, "an IPv6 address is written "
			    "[ADDR] or [ADDR]:PORT");
			return -1;
		}
		hlen = (size_t)(close - s - 1);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (hlen >= hostsz)
			goto toolong;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (!is_ipv6(host)) {
			snprintf(why, whysz, "\"%s\" is not an IPv6 address",
			    host);
			return -1;
		}
	} else {
		colon = strchr(s, ':');
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		if (hlen >= hostsz)
			goto toolong;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (!valid_hostname(host)) {
			snprintf(why, whysz, "\"%s\" is neither a host name "
			    "nor an IP address", host);
			return -1;
		}
	}
	if (colon != NULL) {
		long long p;

		copy_string(portbuf, sizeof(portbuf), colon + 1);
		p = strlen(colon + 1) < sizeof(portbuf) ?
		    parse_uint(portbuf, 1, 65535) : -1;
		if (p < 0) {
			snprintf(why, whysz, "the port must be a number from "
			    "1 to 65535");
			return -1;
		}
		*port = (int)p;
	}
	return 0;

toolong:
	snprintf(why, whysz, "the host name is too long");
	return -1;
}

static void
set_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = MODE_FAILOVER;
	o->port = 0;
	o->tls_mode = SMTP_TLS_AUTO;
	o->tls_min = 0;
	o->cert_warn_days = -1;
	o->cert_crit_days = -1;
	o->attach = ATTACH_NONE;
	o->poll_interval_ms = DEFAULT_POLL_MS;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	o->format = FORMAT_TEXT;
	o->family = AF_UNSPEC;
	o->max_attempts = DEFAULT_MAX_ATTEMPTS;
}

/* One option's argument into the struct; -1 with why on a bad value. */
static int
take_option(struct options *o, int c, const char *arg, char *why,
    size_t whysz)
{
	char reason[256];
	long long v;

	switch (c) {
	case OPT_ATTACH:
		if (attach_parse_kind(arg, &o->attach) == 0)
			return 0;
		snprintf(why, whysz, "--attach: \"%s\" is not one of none, "
		    "docx, pdf", arg);
		return -1;
	case OPT_BIND: {
		struct dns_addr a;

		if (dns_parse_ip_literal(arg, &a) == -1) {
			snprintf(why, whysz, "--bind: \"%s\" is not an IP "
			    "address of this host", arg);
			return -1;
		}
		o->bind = arg;
		return 0;
	}
	case OPT_CERT_CRIT:
	case OPT_CERT_WARN:
		if ((v = parse_uint(arg, 0, 3650)) < 0) {
			snprintf(why, whysz, "--cert-%s: \"%s\" is not a number "
			    "of days from 0 to 3650",
			    c == OPT_CERT_WARN ? "warn" : "crit", arg);
			return -1;
		}
		*(c == OPT_CERT_WARN ? &o->cert_warn_days :
		    &o->cert_crit_days) = (int)v;
		return 0;
	case OPT_CA_FILE:
		o->ca_file = arg;
		return 0;
	case OPT_DNS_SERVER: {
		char addr[64];
		int port;

		if (dns_parse_server(arg, addr, sizeof(addr), &port, reason,
		    sizeof(reason)) == -1) {
			snprintf(why, whysz, "--dns-server: %s", reason);
			return -1;
		}
		o->dns_server = arg;
		return 0;
	}
	case OPT_FORMAT:
		if ((v = parse_choice("--format", arg, format_names, why,
		    whysz)) < 0)
			return -1;
		o->format = (enum output_format)v;
		return 0;
	case OPT_FROM:
		o->from = arg;
		return 0;
	case OPT_HELO:
		if (!valid_hostname(arg)) {
			snprintf(why, whysz, "--helo: \"%s\" is not a host "
			    "name", arg);
			return -1;
		}
		o->helo = arg;
		return 0;
	case OPT_IMAP:
		if (imap_url_check(arg, reason, sizeof(reason)) == -1) {
			snprintf(why, whysz, "--imap: %s", reason);
			return -1;
		}
		o->imap_url = arg;
		return 0;
	case OPT_IMAP_CA_FILE:
		o->imap_ca_file = arg;
		return 0;
	case OPT_IMAP_PASSWORD_FILE:
		o->imap_password_file = arg;
		return 0;
	case OPT_IMAP_USER:
		if (arg[0] == '\0' || has_control_chars(arg)) {
			snprintf(why, whysz, "--imap-user: empty or contains "
			    "control characters");
			return -1;
		}
		o->imap_user = arg;
		return 0;
	case OPT_KEEP:
		o->keep = 1;
		return 0;
	case OPT_MAX_ATTEMPTS:
		if ((v = parse_uint(arg, 1, MAX_ATTEMPTS)) < 0) {
			snprintf(why, whysz, "--max-attempts: \"%s\" is not a "
			    "number from 1 to %d", arg, MAX_ATTEMPTS);
			return -1;
		}
		o->max_attempts = (int)v;
		return 0;
	case OPT_MODE:
		if ((v = parse_choice("--mode", arg, mode_names, why,
		    whysz)) < 0)
			return -1;
		o->mode = (enum delivery_mode)v;
		return 0;
	case OPT_POLL_INTERVAL:
		v = parse_seconds_ms(arg, 3600 * 1000);
		if (v < MIN_POLL_MS) {
			snprintf(why, whysz, "--poll-interval: \"%s\" is not a "
			    "number of seconds from 0.01 to 3600", arg);
			return -1;
		}
		o->poll_interval_ms = v;
		return 0;
	case OPT_PORT:
		if ((v = parse_uint(arg, 1, 65535)) < 0) {
			snprintf(why, whysz, "--port: \"%s\" is not a port "
			    "number (1-65535)", arg);
			return -1;
		}
		o->port = (int)v;
		return 0;
	case OPT_RETURN_ADDRESS:
		o->return_address = arg;
		return 0;
	case OPT_SERVER: {
		int port;

		if (options_parse_server(arg, o->server_buf,
		    sizeof(o->server_buf), &port, reason,
		    sizeof(reason)) == -1) {
			snprintf(why, whysz, "--server: %s", reason);
			return -1;
		}
		o->server = o->server_buf;
		if (port != 0 && o->port == 0)
			o->port = port;
		return 0;
	}
	case OPT_STATE_DIR:
		if (arg[0] == '\0') {
			snprintf(why, whysz, "--state-dir: empty path");
			return -1;
		}
		o->state_dir = arg;
		return 0;
	case OPT_TIMEOUT:
		v = parse_seconds_ms(arg, MAX_TIMEOUT_MS);
		if (v <= 0) {
			snprintf(why, whysz, "--timeout: \"%s\" is not a number "
			    "of seconds above 0 (at most a day)", arg);
			return -1;
		}
		o->timeout_ms = v;
		return 0;
	case OPT_TLS:
		if ((v = parse_choice("--tls", arg, tls_names, why, whysz)) < 0)
			return -1;
		o->tls_mode = (enum smtp_tls_mode)v;
		return 0;
	case OPT_TLS_MIN:
		if ((o->tls_min = tls_parse_version(arg)) < 0) {
			snprintf(why, whysz, "--tls-min: \"%s\" is not one of "
			    "1.0, 1.1, 1.2, 1.3", arg);
			return -1;
		}
		return 0;
	case OPT_TLS_VERIFY:
		o->tls_verify = 1;
		return 0;
	case OPT_TO:
		o->to = arg;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case '4':
	case '6':
		if (o->family != AF_UNSPEC) {
			snprintf(why, whysz, "-4 and -6 exclude each other");
			return -1;
		}
		o->family = c == '4' ? AF_INET : AF_INET6;
		return 0;
	}
	snprintf(why, whysz, "internal error: unhandled option %d", c);
	return -1;
}

/* Does the URL's authority ("imap://user@host/...") name a user? */
static int
url_has_user(const char *url)
{
	const char *auth = strstr(url, "://"), *at;

	if (auth == NULL)
		return 0;
	auth += 3;
	at = strchr(auth, '@');
	return at != NULL && at > auth && at < auth + strcspn(auth, "/");
}

/* -4, -6, --bind and an IP literal --server must agree on the family. */
static int
check_family(struct options *o, char *why, size_t whysz)
{
	struct dns_addr a;

	if (o->bind != NULL) {
		dns_parse_ip_literal(o->bind, &a);
		if (o->family != AF_UNSPEC && o->family != a.family) {
			snprintf(why, whysz, "--bind %s is not an %s address",
			    o->bind, o->family == AF_INET ? "IPv4" : "IPv6");
			return -1;
		}
		o->family = a.family;	/* the source decides the family */
	}
	if (o->server != NULL && dns_parse_ip_literal(o->server, &a) == 0 &&
	    o->family != AF_UNSPEC && o->family != a.family) {
		snprintf(why, whysz, "--server %s is an %s address, but %s "
		    "allows only %s", o->server,
		    a.family == AF_INET ? "IPv4" : "IPv6",
		    o->bind ? "--bind" : o->family == AF_INET ? "-4" : "-6",
		    o->family == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	return 0;
}

/* Rules that involve more than one option. */
static int
check_combination(struct options *o, char *why, size_t whysz)
{
	char reason[256];

	if (o->to == NULL) {
		snprintf(why, whysz, "--to ADDR is required: the address at "
		    "the server under test that forwards to the return "
		    "mailbox");
		return -1;
	}
	if (options_check_address(o->to, reason, sizeof(reason)) == -1) {
		snprintf(why, whysz, "--to: \"%s\" %s", o->to, reason);
		return -1;
	}
	if (o->return_address != NULL && options_check_address(
	    o->return_address, reason, sizeof(reason)) == -1) {
		snprintf(why, whysz, "--return-address: \"%s\" %s",
		    o->return_address, reason);
		return -1;
	}
	if (o->from != NULL && options_check_address(o->from, reason,
	    sizeof(reason)) == -1) {
		snprintf(why, whysz, "--from: \"%s\" %s", o->from, reason);
		return -1;
	}
	if (o->mode == MODE_DIRECT && o->server == NULL) {
		snprintf(why, whysz, "--mode direct needs --server HOST "
		    "(an IP address or host name)");
		return -1;
	}
	if (o->mode != MODE_DIRECT && o->server != NULL) {
		snprintf(why, whysz, "--server is only for --mode direct; "
		    "--mode %s finds the servers from the MX records of the "
		    "--to domain", options_mode_name(o->mode));
		return -1;
	}
	if (check_family(o, why, whysz) == -1)
		return -1;
	if (o->imap_url == NULL) {
		snprintf(why, whysz, "--imap URL is required: the return "
		    "mailbox where the copy arrives, e.g. "
		    "imaps://imap.example.org/INBOX");
		return -1;
	}
	if (o->imap_user == NULL && !url_has_user(o->imap_url)) {
		snprintf(why, whysz, "no IMAP user: give --imap-user NAME or "
		    "put it in the URL (imap://user@host/INBOX)");
		return -1;
	}
	if (o->port == 0)
		o->port = 25;
	return 0;
}

/*
 * Why getopt_long refused an option: an unknown letter (optopt; glibc has
 * not moved past a bundle like -x4 yet, so word may be the one before), a
 * value given to an option that takes none, an ambiguous abbreviation, or
 * an unknown name.
 */
static void
explain_bad_option(const char *word, char *why, size_t whysz)
{
	const struct option *opt;
	size_t len, matches = 0, used;

	if (optopt > 0 && optopt < 256) {
		snprintf(why, whysz, "unknown option -%c", optopt);
		return;
	}
	if (optopt >= 256) {
		snprintf(why, whysz, "%.*s takes no value",
		    (int)strcspn(word, "="), word);
		return;
	}
	if (strncmp(word, "--", 2) != 0) {
		snprintf(why, whysz, "unknown option %s", word);
		return;
	}
	len = strcspn(word + 2, "=");
	for (opt = long_options; opt->name != NULL; opt++)
		if (strncmp(opt->name, word + 2, len) == 0)
			matches++;
	if (matches < 2) {
		snprintf(why, whysz, "unknown option %s", word);
		return;
	}
	used = (size_t)snprintf(why, whysz, "%s is ambiguous: it could be",
	    word);
	for (opt = long_options; opt->name != NULL && used < whysz; opt++)
		if (strncmp(opt->name, word + 2, len) == 0)
			used += (size_t)snprintf(why + used, whysz - used,
			    " --%s", opt->name);
}

enum options_result
options_parse(int argc, char **argv, struct options *o, char *why,
    size_t whysz)
{
	int c;

	set_defaults(o);
	why[0] = '\0';
	optind = 0;		/* glibc: restart scanning (tests parse twice) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":46hv", long_options,
	    NULL)) != -1) {
		if (c == 'h')
			return OPTIONS_HELP;
		if (c == OPT_VERSION)
			return OPTIONS_VERSION;
		if (c == ':') {
			snprintf(why, whysz, "%s needs a value",
			    argv[optind - 1]);
			return OPTIONS_ERROR;
		}
		if (c == '?') {
			explain_bad_option(argv[optind - 1], why, whysz);
			return OPTIONS_ERROR;
		}
		if (take_option(o, c, optarg, why, whysz) == -1)
			return OPTIONS_ERROR;
	}
	if (optind < argc) {
		snprintf(why, whysz, "unexpected argument \"%s\" (every value "
		    "goes with an option, e.g. --to ADDR)", argv[optind]);
		return OPTIONS_ERROR;
	}
	if (check_combination(o, why, whysz) == -1)
		return OPTIONS_ERROR;
	return OPTIONS_RUN;
}

/*
 * The FQDN for a short host name from /etc/hosts: the first dotted name on
 * a line that also names host.  No DNS query: a resolver that does not
 * answer would hold the run before its deadline even starts.
 */
static void
fqdn_from_hosts(const char *host, char *out, size_t outsz)
{
	FILE *f = fopen("/etc/hosts", "r");
	char line[1024];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *save = NULL, *tok, *dotted = NULL;
		int names_host = 0;

		line[strcspn(line, "#")] = '\0';
		tok = strtok_r(line, " \t\r\n", &save);	/* the address */
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			if (strcmp(tok, host) == 0)
				names_host = 1;
			else if (dotted == NULL && strchr(tok, '.') != NULL &&
			    strncmp(tok, host, strlen(host)) == 0 &&
			    tok[strlen(host)] == '.')
				dotted = tok;
		}
		if (names_host && dotted != NULL && valid_hostname(dotted)) {
			copy_string(out, outsz, dotted);
			break;
		}
	}
	fclose(f);
}

/* This host's fully qualified name, as well as the system knows it. */
static void
host_fqdn(char *out, size_t outsz)
{
	if (gethostname(out, outsz) != 0 || out[0] == '\0')
		copy_string(out, outsz, "localhost");
	out[outsz - 1] = '\0';
	if (strchr(out, '.') == NULL) {
		char host[OPTIONS_NAME_MAX];

		copy_string(host, sizeof(host), out);
		fqdn_from_hosts(host, out, outsz);
	}
}

void
options_defaults(struct options *o)
{
	host_fqdn(o->host_buf, sizeof(o->host_buf));
	/* No FQDN: EHLO gives our address literal instead (RFC 5321 4.1.4). */
	if (o->helo == NULL && strchr(o->host_buf, '.') != NULL)
		o->helo = o->host_buf;
	if (o->from == NULL) {
		if (o->return_address != NULL)
			o->from = o->return_address;
		else {
			snprintf(o->from_buf, sizeof(o->from_buf),
			    "mailive@%s", o->host_buf);
			o->from = o->from_buf;
		}
	}
}
