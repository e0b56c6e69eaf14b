/*
 * report.c - text and JSON renderings of one result record.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "report.h"
#include "util.h"
#include "verdict.h"

#define MAILIVE_VERSION_STRING	MAILIVE_VERSION

static void
iso_time(int64_t wall_ms, char *out, size_t outsz)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outsz, "%s.%03dZ", base, (int)(wall_ms % 1000));
}

/* SANs listed in the text report; JSON has them all. */
#define TEXT_SANS	8

/* "mx1.example [192.0.2.1]:25", or "192.0.2.1:25" when there is no name. */
static void
text_where(FILE *out, const char *host, const char *address, int port)
{
	if (strcmp(host, address) == 0)
		fprintf(out, strchr(address, ':') ? "[%s]:%d" : "%s:%d",
		    address, port);
	else
		fprintf(out, "%s [%s]:%d", host, address, port);
}

/* Milliseconds with microsecond resolution: 0.412, not 0. */
static double
us_to_ms(int64_t us)
{
	return (double)us / 1000.0;
}

void
report_queue_id(const char *reply, char *out, size_t outsz)
{
	static const char *const markers[] = { "queued as ", "id=" };
	size_t i, n;

	out[0] = '\0';
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		const char *p = strstr(reply, markers[i]);

		if (p == NULL)
			continue;
		p += strlen(markers[i]);
		for (n = 0; p[n] != '\0' && n + 1 < outsz &&
		    (isalnum((unsigned char)p[n]) || p[n] == '-' ||
		    p[n] == '.' || p[n] == '_'); n++)
			out[n] = p[n];
		while (n > 0 && out[n - 1] == '.')	/* "queued as X." */
			n--;
		out[n] = '\0';
		if (n > 0)
			return;
	}
}

/* "250 2.0.0 Ok: queued as X" from code and (sanitized, one-line) text. */
static void
reply_line(int code, const char *text, char *out, size_t outsz)
{
	snprintf(out, outsz, "%d%s%s", code, text[0] ? " " : "", text);
}

/* ---- JSON -------------------------------------------------------------- */

static cJSON *
json_failure(const struct failure *f)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "stage", f->stage);
	cJSON_AddStringToObject(o, "class", failure_class_name(f->class));
	cJSON_AddStringToObject(o, "message", f->message);
	if (f->host[0] != '\0')
		cJSON_AddStringToObject(o, "host", f->host);
	if (f->address[0] != '\0')
		cJSON_AddStringToObject(o, "address", f->address);
	if (f->port != 0)
		cJSON_AddNumberToObject(o, "port", f->port);
	if (f->code != 0) {
		cJSON_AddNumberToObject(o, "code", f->code);
		cJSON_AddStringToObject(o, "reply", f->reply);
	}
	return o;
}

static cJSON *
json_target(const struct result *r)
{
	const struct options *o = r->opts;
	cJSON *t = cJSON_CreateObject();

	cJSON_AddStringToObject(t, "to", o->to);
	cJSON_AddStringToObject(t, "mode", options_mode_name(o->mode));
	cJSON_AddStringToObject(t, "domain", r->domain);
	if (o->server != NULL)
		cJSON_AddStringToObject(t, "server", o->server);
	cJSON_AddNumberToObject(t, "port", o->port);
	cJSON_AddStringToObject(t, "from", o->from);
	if (o->return_address != NULL)
		cJSON_AddStringToObject(t, "return_address",
		    o->return_address);
	cJSON_AddStringToObject(t, "tls_mode", options_tls_name(o->tls_mode));
	cJSON_AddStringToObject(t, "attach", attach_kind_name(o->attach));
	return t;
}

static cJSON *
json_addresses(const struct dns_addr_list *l)
{
	cJSON *list = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < l->n; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(l->addr[i].text));
	return list;
}

static cJSON *
json_dns(const struct result *r)
{
	const struct plan *p = &r->plan;
	cJSON *o = cJSON_CreateObject(), *mx;
	size_t i;

	if (r->dns_ms >= 0)
		cJSON_AddNumberToObject(o, "ms", (double)r->dns_ms);
	else
		cJSON_AddNullToObject(o, "ms");
	cJSON_AddStringToObject(o, "server", r->opts->dns_server ?
	    r->opts->dns_server : "system");
	cJSON_AddBoolToObject(o, "mx_lookup", p->mx_looked_up);
	if (p->mx_looked_up) {
		cJSON_AddBoolToObject(o, "implicit_mx", p->mx_seen.implicit);
		mx = cJSON_AddArrayToObject(o, "mx");
		for (i = 0; i < p->mx_seen.n; i++) {
			const struct dns_mx *m = &p->mx_seen.mx[i];
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "host", m->host);
			cJSON_AddNumberToObject(e, "preference", m->preference);
			cJSON_AddItemToObject(e, "addresses",
			    json_addresses(&m->addrs));
			cJSON_AddItemToArray(mx, e);
		}
	}
	cJSON_AddStringToObject(o, "choice", p->note);
	cJSON_AddBoolToObject(o, "random_pick", p->rotation_random);
	return o;
}

static cJSON *
json_attempts(const struct result *r)
{
	cJSON *list = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < r->nattempts; i++) {
		const struct attempt *a = &r->attempts[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "host", a->host);
		cJSON_AddStringToObject(o, "address", a->address);
		cJSON_AddNumberToObject(o, "port", a->port);
		cJSON_AddStringToObject(o, "result",
		    a->delivered ? "delivered" : "failed");
		cJSON_AddStringToObject(o, "stage", a->stage);
		cJSON_AddNumberToObject(o, "elapsed_ms",
		    (double)a->elapsed_ms);
		if (!a->delivered) {
			cJSON_AddStringToObject(o, "class",
			    failure_class_name(a->failure.class));
			cJSON_AddStringToObject(o, "error",
			    a->failure.message);
			if (a->failure.code != 0) {
				cJSON_AddNumberToObject(o, "code",
				    a->failure.code);
				cJSON_AddStringToObject(o, "reply",
				    a->failure.reply);
			}
		}
		cJSON_AddItemToArray(list, o);
	}
	return list;
}

static cJSON *
json_tls(const struct tls_facts *f)
{
	cJSON *o = cJSON_CreateObject(), *cert, *sans;
	int i;

	cJSON_AddStringToObject(o, "version", f->version);
	cJSON_AddStringToObject(o, "cipher", f->cipher);
	cJSON_AddNumberToObject(o, "cipher_bits", f->cipher_bits);
	cJSON_AddBoolToObject(o, "verified", f->verified);
	cJSON_AddStringToObject(o, "verify_result", f->verify_result);
	if (!f->have_cert)
		return o;
	cert = cJSON_AddObjectToObject(o, "certificate");
	cJSON_AddStringToObject(cert, "subject", f->subject);
	cJSON_AddStringToObject(cert, "issuer", f->issuer);
	sans = cJSON_AddArrayToObject(cert, "sans");
	for (i = 0; i < f->nsans; i++)
		cJSON_AddItemToArray(sans, cJSON_CreateString(f->sans[i]));
	cJSON_AddStringToObject(cert, "not_before", f->not_before);
	cJSON_AddStringToObject(cert, "not_after", f->not_after);
	cJSON_AddNumberToObject(cert, "days_left", f->days_left);
	cJSON_AddStringToObject(cert, "sha256", f->sha256);
	cJSON_AddBoolToObject(cert, "hostname_match", f->hostname_match);
	return o;
}

static cJSON *
json_caps(const struct smtp_caps *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "esmtp", c->esmtp);
	cJSON_AddBoolToObject(o, "starttls", c->starttls);
	cJSON_AddBoolToObject(o, "pipelining", c->pipelining);
	cJSON_AddBoolToObject(o, "8bitmime", c->eightbitmime);
	cJSON_AddBoolToObject(o, "smtputf8", c->smtputf8);
	cJSON_AddBoolToObject(o, "chunking", c->chunking);
	cJSON_AddBoolToObject(o, "dsn", c->dsn);
	cJSON_AddNumberToObject(o, "size", (double)c->size);
	if (c->auth[0] != '\0')
		cJSON_AddStringToObject(o, "auth", c->auth);
	return o;
}

static cJSON *
json_smtp(const struct result *r)
{
	const struct smtp_outcome *s = &r->smtp;
	cJSON *o, *t;
	char line[SMTP_REPLY_TEXT_MAX + 8], qid[128];
	int i;

	if (r->smtp_attempt == NULL)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "host", r->smtp_attempt->host);
	cJSON_AddStringToObject(o, "address", r->smtp_attempt->address);
	cJSON_AddNumberToObject(o, "port", r->smtp_attempt->port);
	cJSON_AddBoolToObject(o, "delivered", s->delivered);
	cJSON_AddBoolToObject(o, "tls", s->tls_used);
	cJSON_AddBoolToObject(o, "starttls_offered", s->starttls_offered);
	if (s->tls_used)
		cJSON_AddItemToObject(o, "tls_session", json_tls(&s->tls));
	else
		cJSON_AddNullToObject(o, "tls_session");
	if (s->starttls_discarded > 0)
		cJSON_AddNumberToObject(o, "starttls_discarded_bytes",
		    (double)s->starttls_discarded);
	cJSON_AddStringToObject(o, "greeting", s->greeting);
	cJSON_AddBoolToObject(o, "helo_fallback", s->used_helo);
	cJSON_AddItemToObject(o, "capabilities", json_caps(&s->caps));
	t = cJSON_AddObjectToObject(o, "timings_ms");
	for (i = 0; i < SMTP_PH_COUNT; i++)
		if (s->phase_us[i] >= 0)
			cJSON_AddNumberToObject(t, smtp_phase_name(i),
			    us_to_ms(s->phase_us[i]));
	cJSON_AddNumberToObject(t, "total", us_to_ms(s->total_us));
	if (s->delivered) {
		reply_line(s->final_code, s->final_reply, line, sizeof(line));
		cJSON_AddStringToObject(o, "reply", line);
		cJSON_AddNumberToObject(o, "reply_code", s->final_code);
		report_queue_id(s->final_reply, qid, sizeof(qid));
		if (qid[0] != '\0')
			cJSON_AddStringToObject(o, "queue_id", qid);
		else
			cJSON_AddNullToObject(o, "queue_id");
	} else
		cJSON_AddNullToObject(o, "reply");
	cJSON_AddBoolToObject(o, "quit_ok", s->quit_ok);
	return o;
}

static cJSON *
json_roundtrip(const struct result *r)
{
	cJSON *o = cJSON_CreateObject();
	char when[40];

	cJSON_AddBoolToObject(o, "returned", r->rt.returned);
	if (r->rt.returned)
		cJSON_AddNumberToObject(o, "seconds",
		    (double)r->rt.rtt_ms / 1000.0);
	else
		cJSON_AddNullToObject(o, "seconds");
	if (r->rt.accepted_wall_ms > 0) {
		iso_time(r->rt.accepted_wall_ms, when, sizeof(when));
		cJSON_AddStringToObject(o, "accepted_at", when);
	}
	if (r->rt.returned) {
		cJSON_AddStringToObject(o, "returned_as",
		    r->rt.as_reply ? "reply" : "copy");
		iso_time(r->rt.detected_wall_ms, when, sizeof(when));
		cJSON_AddStringToObject(o, "detected_at", when);
		cJSON_AddNumberToObject(o, "uid", (double)r->rt.uid);
		cJSON_AddNumberToObject(o, "size", (double)r->rt.returned_size);
		cJSON_AddBoolToObject(o, "deleted", r->rt.deleted);
	}
	cJSON_AddNumberToObject(o, "polls", r->rt.polls);
	/* The measurement's resolution: a copy is seen at the next poll. */
	cJSON_AddNumberToObject(o, "poll_interval_ms",
	    (double)r->opts->poll_interval_ms);
	return o;
}

int
report_json(FILE *out, const struct result *r)
{
	cJSON *root = cJSON_CreateObject(), *errors;
	char when[40], *text;
	size_t i;

	if (root == NULL)
		return -1;
	cJSON_AddStringToObject(root, "status", verdict_status_name(r->status));
	cJSON_AddNumberToObject(root, "exit_code", r->exit_code);
	cJSON_AddStringToObject(root, "summary", r->summary);
	cJSON_AddStringToObject(root, "token", r->token);
	cJSON_AddStringToObject(root, "version", MAILIVE_VERSION_STRING);
	iso_time(r->started_wall_ms, when, sizeof(when));
	cJSON_AddStringToObject(root, "started_at", when);
	cJSON_AddNumberToObject(root, "elapsed_ms", (double)r->elapsed_ms);
	cJSON_AddItemToObject(root, "target", json_target(r));
	cJSON_AddNumberToObject(root, "message_size", (double)r->message_size);
	cJSON_AddItemToObject(root, "dns", json_dns(r));
	cJSON_AddItemToObject(root, "attempts", json_attempts(r));
	cJSON_AddItemToObject(root, "smtp", json_smtp(r));
	cJSON_AddItemToObject(root, "roundtrip", json_roundtrip(r));
	errors = cJSON_AddArrayToObject(root, "errors");
	for (i = 0; i < r->nerrors; i++)
		cJSON_AddItemToArray(errors, json_failure(&r->errors[i]));
	errors = cJSON_AddArrayToObject(root, "warnings");
	for (i = 0; i < r->nwarnings; i++)
		cJSON_AddItemToArray(errors, json_failure(&r->warnings[i]));
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		return -1;
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
}

/* ---- text -------------------------------------------------------------- */

static void
text_timings(FILE *out, const struct smtp_outcome *s)
{
	int i, first = 1;

	fprintf(out, "  %-11s ", "smtp");
	for (i = 0; i < SMTP_PH_COUNT; i++) {
		if (s->phase_us[i] < 0)
			continue;
		fprintf(out, "%s%s %.1f ms", first ? "" : ", ",
		    smtp_phase_name(i), us_to_ms(s->phase_us[i]));
		first = 0;
	}
	fprintf(out, "%stotal %.1f ms\n", first ? "" : "; ",
	    us_to_ms(s->total_us));
}

static void
text_tls(FILE *out, const struct smtp_outcome *s)
{
	const struct tls_facts *f = &s->tls;

	if (!s->tls_used) {
		fprintf(out, "  %-11s none (STARTTLS %s)\n", "tls",
		    s->starttls_offered ? "offered, not used" : "not offered");
		return;
	}
	fprintf(out, "  %-11s %s, %s (%d bits)\n", "tls", f->version,
	    f->cipher, f->cipher_bits);
	if (f->have_cert) {
		fprintf(out, "  %-11s %s\n", "certificate", f->subject);
		fprintf(out, "  %-11s issuer %s\n", "", f->issuer);
		if (f->days_left < 0)
			fprintf(out, "  %-11s valid %s to %s (EXPIRED %d days "
			    "ago)\n", "", f->not_before, f->not_after,
			    -f->days_left);
		else
			fprintf(out, "  %-11s valid %s to %s (%d days left)\n",
			    "", f->not_before, f->not_after, f->days_left);
		if (f->nsans > 0) {
			int i, shown = f->nsans < TEXT_SANS ? f->nsans :
			    TEXT_SANS;

			fprintf(out, "  %-11s", "");
			for (i = 0; i < shown; i++)
				fprintf(out, "%s%s", i ? ", " : " ", f->sans[i]);
			if (f->nsans > shown)
				fprintf(out, " (+%d more)", f->nsans - shown);
			fprintf(out, "\n");
		}
		fprintf(out, "  %-11s sha256 %s\n", "", f->sha256);
		fprintf(out, "  %-11s verified: %s%s\n", "",
		    f->verified ? "yes" : "no, ",
		    f->verified ? "" : f->verify_result);
	}
}

static void
text_dns(FILE *out, const struct result *r)
{
	const struct plan *p = &r->plan;
	size_t i, j;

	if (p->mx_looked_up) {
		fprintf(out, "  %-11s", p->mx_seen.implicit ? "implicit mx" :
		    "mx");
		for (i = 0; i < p->mx_seen.n; i++) {
			const struct dns_mx *m = &p->mx_seen.mx[i];

			fprintf(out, "%s %d %s", i ? "," : "", m->preference,
			    m->host);
			for (j = 0; j < m->addrs.n; j++)
				fprintf(out, "%s%s", j ? " " : " [",
				    m->addrs.addr[j].text);
			if (m->addrs.n > 0)
				fprintf(out, "]");
		}
		fprintf(out, "\n");
	}
	if (p->note[0] != '\0')
		fprintf(out, "  %-11s %s\n", "plan", p->note);
	if (r->dns_ms >= 0)
		fprintf(out, "  %-11s %lld ms (%s)\n", "dns time",
		    (long long)r->dns_ms, r->opts->dns_server ?
		    r->opts->dns_server : "system resolver");
}

static void
text_attempts(FILE *out, const struct result *r)
{
	size_t i;

	fprintf(out, "attempts:\n");
	for (i = 0; i < r->nattempts; i++) {
		const struct attempt *a = &r->attempts[i];

		fprintf(out, "  %zu. ", i + 1);
		text_where(out, a->host, a->address[0] ? a->address : "-",
		    a->port);
		if (a->delivered)
			fprintf(out, "  delivered, %lld ms",
			    (long long)a->elapsed_ms);
		else
			fprintf(out, "  failed at %s, %lld ms", a->stage,
			    (long long)a->elapsed_ms);
		if (!a->delivered)
			fprintf(out, "\n     %s", a->failure.message);
		fprintf(out, "\n");
	}
}

void
report_text(FILE *out, const struct result *r)
{
	const struct options *o = r->opts;
	const struct smtp_outcome *s = &r->smtp;
	char line[SMTP_REPLY_TEXT_MAX + 8], when[40];
	size_t i;

	fprintf(out, "mailive %s: %s\n", verdict_status_name(r->status),
	    r->summary);
	fprintf(out, "  %-11s %s (mode %s, tls %s)\n", "to", o->to,
	    options_mode_name(o->mode), options_tls_name(o->tls_mode));
	fprintf(out, "  %-11s %s\n", "token", r->token);
	text_dns(out, r);
	if (r->smtp_attempt != NULL) {
		const struct attempt *a = r->smtp_attempt;

		fprintf(out, "  %-11s ", "server");
		text_where(out, a->host, a->address, a->port);
		fprintf(out, "\n");
		if (s->greeting[0] != '\0')
			fprintf(out, "  %-11s %s\n", "greeting", s->greeting);
		text_tls(out, s);
		text_timings(out, s);
		if (s->delivered) {
			reply_line(s->final_code, s->final_reply, line,
			    sizeof(line));
			fprintf(out, "  %-11s %s\n", "reply", line);
		}
	}
	if (r->rt.returned) {
		iso_time(r->rt.detected_wall_ms, when, sizeof(when));
		fprintf(out, "  %-11s %.3f s (%s seen %s after %d poll%s; "
		    "%s)\n", "round trip", (double)r->rt.rtt_ms / 1000.0,
		    r->rt.as_reply ? "auto-reply" : "copy", when, r->rt.polls,
		    r->rt.polls == 1 ? "" : "s",
		    r->rt.deleted ? "deleted" : "kept");
	} else if (s->delivered)
		fprintf(out, "  %-11s no copy came back (%d poll%s)\n",
		    "round trip", r->rt.polls, r->rt.polls == 1 ? "" : "s");
	if (r->nattempts > 1 || (r->nattempts == 1 && !r->attempts[0].delivered))
		text_attempts(out, r);
	if (r->nerrors > 0) {
		fprintf(out, "errors:\n");
		for (i = 0; i < r->nerrors; i++)
			fprintf(out, "  - [%s] %s\n", r->errors[i].stage,
			    r->errors[i].message);
	}
	if (r->nwarnings > 0) {
		fprintf(out, "warnings:\n");
		for (i = 0; i < r->nwarnings; i++)
			fprintf(out, "  - [%s] %s\n", r->warnings[i].stage,
			    r->warnings[i].message);
	}
}
