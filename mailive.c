/*
 * mailive.c - one round-trip probe: options -> mailbox -> plan -> message
 * -> deliver -> wait -> verdict -> report.
 *
 * This file only orchestrates.  Each stage adds its part to one result
 * record (result.h); the verdict decides the status; the report renders it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "dns.h"
#include "imap_poll.h"
#include "message.h"
#include "options.h"
#include "plan.h"
#include "report.h"
#include "result.h"
#include "smtp.h"
#include "util.h"
#include "verdict.h"

#define PASSWORD_MAX	1024
#define EXIT_UNKNOWN	3

static void
say_usage_error(const char *why)
{
	fprintf(stderr, "mailive: %s\n", why);
	fprintf(stderr, "Try 'mailive --help' for more information.\n");
}

/*
 * The IMAP password from --imap-password-file (first line) or from the
 * environment; never from argv, where every user of the machine can read
 * it.  Returns 0, or -1 with why filled in.
 */
static int
read_password(const struct options *o, char *pw, size_t pwsz, char *why,
    size_t whysz)
{
	const char *env = getenv("MAILIVE_IMAP_PASSWORD");
	ssize_t n;
	int fd;

	if (o->imap_password_file == NULL) {
		if (env == NULL || env[0] == '\0') {
			snprintf(why, whysz, "no IMAP password: give "
			    "--imap-password-file FILE or set "
			    "MAILIVE_IMAP_PASSWORD");
			return -1;
		}
		copy_string(pw, pwsz, env);
		return 0;
	}
	if ((fd = open(o->imap_password_file, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whysz, "--imap-password-file %s: %s",
		    o->imap_password_file, strerror(errno));
		return -1;
	}
	n = read(fd, pw, pwsz - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, whysz, "--imap-password-file %s: %s",
		    o->imap_password_file, strerror(errno));
		return -1;
	}
	pw[n] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	if (pw[0] == '\0') {
		snprintf(why, whysz, "--imap-password-file %s: the first line "
		    "is empty", o->imap_password_file);
		return -1;
	}
	return 0;
}

/* Log in to the return mailbox first: a wrong password wastes no probe. */
static struct imap_session *
open_mailbox(const struct options *o, const char *password,
    const struct deadline *dl, struct result *r)
{
	struct imap_params p = {
		.url = o->imap_url,
		.user = o->imap_user,
		.password = password,
		.ca_file = o->imap_ca_file ? o->imap_ca_file : o->ca_file,
		.poll_interval_ms = o->poll_interval_ms,
		.verbose = o->verbose >= 2,
	};
	struct imap_session *imap;
	struct failure f;

	failure_clear(&f);
	if ((imap = imap_open(&p, dl, &f)) == NULL)
		result_add_error(r, &f);
	return imap;
}

static int
make_plan(const struct options *o, const struct deadline *dl,
    struct result *r)
{
	struct dns_resolver *res = NULL;
	struct failure f;
	int64_t start = mono_now_ms();
	int rc;

	failure_clear(&f);
	if (plan_needs_dns(o) &&
	    (res = dns_resolver_new(o->dns_server, &f)) == NULL) {
		result_add_error(r, &f);
		return -1;
	}
	rc = plan_build(o, res, dl, &r->plan, &f);
	if (res != NULL)
		r->dns_ms = mono_now_ms() - start;
	dns_resolver_free(res);
	if (rc == -1)
		result_add_error(r, &f);
	return rc;
}

static char *
make_message(const struct options *o, struct result *r, size_t *len)
{
	struct message_params p = {
		.from = o->from,
		.to = o->to,
		.return_address = o->return_address,
		.token = r->token,
		.sender_host = o->host_buf,
		.date_wall_ms = wall_now_ms(),
	};
	struct failure f;
	char *msg = message_build(&p, len);

	if (msg == NULL) {
		failure_clear(&f);
		failure_set(&f, FAIL_LOCAL, "message", "out of memory while "
		    "building the message");
		result_add_error(r, &f);
	}
	r->message_size = msg ? *len : 0;
	return msg;
}

/* A host skipped because its addresses could not be found. */
static void
attempt_skipped(const struct dns_mx *h, const struct failure *why,
    struct result *r)
{
	struct attempt *a = &r->attempts[r->nattempts++];

	copy_string(a->host, sizeof(a->host), h->host);
	a->port = r->opts->port;
	copy_string(a->stage, sizeof(a->stage), "dns");
	a->failure = *why;
}

/*
 * The time one attempt may take.  While other servers remain to be tried,
 * an attempt gets half of what is left, so that a server that accepts the
 * connection and then says nothing cannot use up the run: the next MX is
 * still tried, as an MTA would, and the copy still has time to come back.
 */
static struct deadline
attempt_deadline(const struct deadline *dl, int others_remain)
{
	struct deadline d = *dl;

	if (others_remain)
		d.end_ms = mono_now_ms() + deadline_left_ms(dl) / 2;
	return d;
}

/* One SMTP session with one address; its story goes into attempts[]. */
static int
attempt_one(const struct smtp_params *p, const char *host,
    const struct dns_addr *addr, const struct dns_addr *bind,
    const struct deadline *dl, struct result *r)
{
	struct attempt *a = &r->attempts[r->nattempts++];
	struct smtp_target t = {
		.host = host,
		.address = addr->text,
		.port = r->opts->port,
		.sa = (const struct sockaddr *)&addr->sa,
		.salen = addr->salen,
		.bind_sa = bind ? (const struct sockaddr *)&bind->sa : NULL,
		.bind_salen = bind ? bind->salen : 0,
	};
	int rc;

	copy_string(a->host, sizeof(a->host), host);
	copy_string(a->address, sizeof(a->address), addr->text);
	a->port = t.port;
	failure_clear(&a->failure);
	r->smtp_sessions++;
	rc = smtp_deliver(p, &t, dl, &r->smtp, &a->failure);
	a->delivered = rc == 0;
	copy_string(a->stage, sizeof(a->stage),
	    smtp_phase_name(r->smtp.reached));
	a->elapsed_ms = (r->smtp.total_us + 500) / 1000;
	r->smtp_attempt = a;
	return rc;
}

/* Why the loop below stopped before a delivery, if it was a limit. */
static int
out_of_attempts(const struct options *o, const struct deadline *dl,
    struct result *r)
{
	struct failure f;

	if (r->smtp_sessions < o->max_attempts &&
	    r->nattempts < RESULT_MAX_ATTEMPTS && !deadline_expired(dl))
		return 0;
	if (r->nattempts > 0)	/* the last failure, then why we stopped */
		result_add_error(r, &r->attempts[r->nattempts - 1].failure);
	failure_clear(&f);
	if (deadline_expired(dl))
		failure_set(&f, FAIL_TIMEOUT, "deliver", "the deadline "
		    "(--timeout) passed after %d attempt%s; no server accepted "
		    "the message", r->smtp_sessions,
		    r->smtp_sessions == 1 ? "" : "s");
	else
		failure_set(&f, FAIL_TEMPORARY, "deliver", "gave up after %d "
		    "attempts (--max-attempts); no server accepted the "
		    "message", r->smtp_sessions);
	result_add_error(r, &f);
	return 1;
}

/* Is there an address to try after address j of host i? */
static int
more_targets(const struct plan *plan, size_t i, size_t j)
{
	if (j + 1 < plan->hosts.mx[i].addrs.n)
		return 1;
	for (i++; i < plan->hosts.n; i++)
		if (plan->hosts.mx[i].addrs.n > 0)
			return 1;
	return 0;
}

/*
 * Try the plan's hosts and addresses in order until one accepts the
 * message.  Move on only after a temporary failure (connect, timeout, 4xx,
 * TLS, a dropped session), as an MTA does; a 5xx is the answer.  In
 * failover mode a host whose addresses could not be found is skipped.
 */
static int
deliver(const struct options *o, const char *msg, size_t len,
    const struct deadline *dl, struct result *r)
{
	struct smtp_params p = {
		.helo = o->helo,
		.from = o->from,
		.to = o->to,
		.tls_mode = o->tls_mode,
		.tls_verify = o->tls_verify,
		.tls = { .ca_file = o->ca_file, .min_version = o->tls_min },
		.message = msg,
		.message_len = len,
		.verbose = o->verbose,
	};
	struct dns_addr bind, *bindp = NULL;
	size_t i, j;

	if (o->bind != NULL && dns_parse_ip_literal(o->bind, &bind) == 0)
		bindp = &bind;
	for (i = 0; i < r->plan.hosts.n; i++) {
		const struct dns_mx *h = &r->plan.hosts.mx[i];

		if (h->addrs.n == 0) {
			if (r->nattempts == RESULT_MAX_ATTEMPTS)
				break;
			attempt_skipped(h, &r->plan.lookup[i], r);
			continue;
		}
		for (j = 0; j < h->addrs.n; j++) {
			if (out_of_attempts(o, dl, r))
				return -1;
			struct deadline adl = attempt_deadline(dl,
			    more_targets(&r->plan, i, j) &&
			    r->smtp_sessions + 1 < o->max_attempts);

			if (attempt_one(&p, h->host, &h->addrs.addr[j], bindp,
			    &adl, r) == 0) {
				r->rt.accepted_wall_ms =
				    r->smtp.accepted_wall_ms;
				return 0;
			}
			if (!failure_is_temporary(
			    &r->attempts[r->nattempts - 1].failure))
				goto failed;
		}
	}
failed:
	if (r->nattempts > 0)
		result_add_error(r, &r->attempts[r->nattempts - 1].failure);
	return -1;
}

static void
wait_for_copy(const struct options *o, struct imap_session *imap,
    const struct deadline *dl, struct result *r)
{
	struct imap_found found;
	struct failure f;

	memset(&found, 0, sizeof(found));
	failure_clear(&f);
	if (imap_wait_for_token(imap, r->token, dl, &found, &f) == -1) {
		r->rt.polls = found.polls;
		result_add_error(r, &f);
		imap_found_free(&found);
		return;
	}
	r->rt.returned = 1;
	r->rt.as_reply = found.match == IMAP_MATCH_REPLY;
	r->rt.polls = found.polls;
	r->rt.uid = found.uid;
	r->rt.returned_size = found.message_len;
	r->rt.detected_wall_ms = found.detected_wall_ms;
	r->rt.rtt_ms = found.detected_mono_ms - r->smtp.accepted_mono_ms;
	if (r->rt.rtt_ms < 0)
		r->rt.rtt_ms = 0;
	if (!o->keep) {
		if (imap_delete(imap, &found, dl, &f) == -1)
			result_add_error(r, &f);
		r->rt.deleted = found.deleted;
	}
	imap_found_free(&found);
}

static void
run(const struct options *o, const char *password, struct result *r)
{
	struct deadline dl = deadline_in(o->timeout_ms);
	int64_t start = mono_now_ms();
	struct imap_session *imap = NULL;
	struct failure f;
	char *msg = NULL;
	size_t len = 0;

	r->opts = o;
	r->dns_ms = -1;
	r->started_wall_ms = wall_now_ms();
	copy_string(r->domain, sizeof(r->domain), strrchr(o->to, '@') + 1);
	if (message_new_token(r->token) == -1) {
		failure_clear(&f);
		failure_set(&f, FAIL_LOCAL, "token", "OpenSSL's random "
		    "generator failed; no probe was sent");
		result_add_error(r, &f);
	} else if ((imap = open_mailbox(o, password, &dl, r)) != NULL &&
	    make_plan(o, &dl, r) == 0 &&
	    (msg = make_message(o, r, &len)) != NULL &&
	    deliver(o, msg, len, &dl, r) == 0)
		wait_for_copy(o, imap, &dl, r);
	free(msg);
	imap_close(imap, &dl);
	r->elapsed_ms = mono_now_ms() - start;
}

int
main(int argc, char **argv)
{
	struct options opts;
	struct result *r;
	char why[1024], password[PASSWORD_MAX];
	int code;

	signal(SIGPIPE, SIG_IGN);
	switch (options_parse(argc, argv, &opts, why, sizeof(why))) {
	case OPTIONS_HELP:
		fputs(options_usage(), stdout);
		return 0;
	case OPTIONS_VERSION:
		printf("mailive %s\n", MAILIVE_VERSION);
		return 0;
	case OPTIONS_ERROR:
		say_usage_error(why);
		return EXIT_UNKNOWN;
	case OPTIONS_RUN:
		break;
	}
	if (!attach_supported(opts.attach)) {
		snprintf(why, sizeof(why), "--attach %s is not implemented "
		    "yet; use --attach none", attach_kind_name(opts.attach));
		say_usage_error(why);
		return EXIT_UNKNOWN;
	}
	if (read_password(&opts, password, sizeof(password), why,
	    sizeof(why)) == -1) {
		say_usage_error(why);
		return EXIT_UNKNOWN;
	}
	options_defaults(&opts);
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "mailive: cannot initialise (out of memory)\n");
		free(r);
		return EXIT_UNKNOWN;
	}
	run(&opts, password, r);
	explicit_bzero(password, sizeof(password));
	verdict_decide(r);
	if (opts.format == FORMAT_JSON)
		report_json(stdout, r);
	else
		report_text(stdout, r);
	code = r->exit_code;
	free(r);
	curl_global_cleanup();
	return code;
}
