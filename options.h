/*
 * options.h - the command line, parsed and checked before any traffic.
 *
 * options_parse() is pure: argv in, struct options out (or a reason), so
 * every rule is unit-tested.  Strings point into argv.  Defaults that need
 * the system (this host's name) are filled by options_defaults().
 */
#ifndef MAILIVE_OPTIONS_H
#define MAILIVE_OPTIONS_H

#include <stdint.h>

#include "attach.h"
#include "smtp.h"

#define OPTIONS_NAME_MAX	256

enum delivery_mode {
	MODE_DIRECT,		/* --server as given, no MX lookup */
	MODE_MX,		/* the primary MX only */
	MODE_FAILOVER		/* every MX in order, as an MTA does */
};

enum output_format {
	FORMAT_TEXT,
	FORMAT_JSON
};

enum options_result {
	OPTIONS_RUN,		/* go ahead */
	OPTIONS_HELP,		/* --help: print usage, exit 0 */
	OPTIONS_VERSION,	/* --version: print it, exit 0 */
	OPTIONS_ERROR		/* bad usage: print why, exit 3 */
};

struct options {
	const char		*to;
	const char		*return_address;
	const char		*from;		/* NULL until options_defaults */
	enum delivery_mode	 mode;
	const char		*server;	/* host part of --server */
	int			 port;		/* --port or --server's :PORT */
	const char		*helo;		/* NULL until options_defaults */
	enum smtp_tls_mode	 tls_mode;
	int			 tls_min;	/* OpenSSL version constant */
	int			 tls_verify;	/* a failed verification fails */
	int			 cert_warn_days; /* -1: no threshold */
	int			 cert_crit_days;
	const char		*ca_file;
	const char		*imap_ca_file;	/* default: ca_file */
	enum attach_kind	 attach;
	const char		*imap_url;
	const char		*imap_user;
	const char		*imap_password_file;
	int64_t			 poll_interval_ms;
	int			 keep;
	int64_t			 timeout_ms;
	const char		*dns_server;
	int			 family;	/* AF_UNSPEC, or -4 / -6 */
	const char		*bind;		/* local source address */
	int			 max_attempts;	/* SMTP sessions at most */
	const char		*state_dir;	/* NULL: the XDG default */
	enum output_format	 format;
	int			 verbose;

	char			 server_buf[OPTIONS_NAME_MAX];
	char			 host_buf[OPTIONS_NAME_MAX];
	char			 from_buf[OPTIONS_NAME_MAX + 16];
};

/* Parse argv; on OPTIONS_ERROR, why says what is wrong and how to fix it. */
enum options_result options_parse(int argc, char **argv, struct options *,
	    char *why, size_t whysz);

/*
 * Fill --helo and --from defaults from this host's name (host_buf).  When
 * the host has no fully qualified name, helo stays NULL: the SMTP client
 * then says EHLO with its address literal.
 */
void	 options_defaults(struct options *);

/* The usage text, as the man page's SYNOPSIS. */
const char *options_usage(void);

const char *options_mode_name(enum delivery_mode);
const char *options_tls_name(enum smtp_tls_mode);

/*
 * Pure checks, exposed for tests.
 * options_check_address: a mailbox "local@domain" fit for an SMTP command.
 * options_parse_server: "HOST", "HOST:PORT", "IPV4:PORT", "[IPV6]:PORT"
 * or a bare IPv6 address into host (brackets removed) and port (0 when
 * absent).  Both return 0, or -1 with a reason in why.
 */
int	 options_check_address(const char *, char *why, size_t whysz);
int	 options_parse_server(const char *, char *host, size_t hostsz,
	    int *port, char *why, size_t whysz);

#endif
