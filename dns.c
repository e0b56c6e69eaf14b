/*
 * dns.c - MX, A and AAAA lookups through ldns, bounded by the deadline.
 *
 * Layout: pure helpers (literals, server syntax), then the answer decoders
 * (pure: an ldns_pkt in, an MX set / address list / classified failure
 * out), then the transport (one query, retried within the deadline, with
 * our own deadline-bounded TCP for truncated answers), then the public
 * lookups that tie them together.
 *
 * ldns conventions relied on (checked against ldns 1.8.3 resolver.c and
 * net.c, not only the headers):
 * - ldns_resolver_send_pkt() returns LDNS_STATUS_OK and an answer, or
 *   another status (NETWORK_ERR for a UDP timeout, SOCKET_ERROR, a wire
 *   parse error, RES_NO_NS) and no usable answer.  It checks neither the
 *   answer's ID nor its question: we do.
 * - ldns_send_buffer() marks a nameserver that timed out as unreachable
 *   (rtt LDNS_RESOLV_RTT_INF) and skips it on every later query of the same
 *   resolver; once all are marked it fails at once with RES_NO_NS.  We
 *   keep the marks (a dead server costs one timeout, not one per query)
 *   and clear them when all servers are marked (live_nameservers()).
 * - With retry = 1 one try waits at most the resolver timeout per
 *   nameserver (UDP: one poll, then a non-blocking read).  The built-in
 *   truncation fallback would add up to two more full timeouts, and its
 *   TCP reader re-arms the timeout for every recv(), so a server trickling
 *   bytes could stretch it without bound.  We turn it off and do TCP
 *   ourselves against the deadline.
 * - ldns_dname_compare() ignores case; ldns_rdf2str() and ldns_pkt2wire()
 *   return malloc'd memory (free()), ldns_wire2pkt() a packet to
 *   ldns_pkt_free().
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "util.h"

#define STAGE		"dns"
#define DESC_MAX	192	/* "a:53, b:53 (from /etc/resolv.conf)" */
#define MIN_TRY_MS	10	/* do not start a try with less left */

struct dns_resolver {
	ldns_resolver	*lr;
	char		 desc[DESC_MAX];	/* the server(s), for messages */
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static void
cat(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(dst);

	if (n + 1 < dstsz)
		copy_string(dst + n, dstsz - n, src);
}

static const char *
type_name(ldns_rr_type type)
{
	switch (type) {
	case LDNS_RR_TYPE_MX:
		return "MX";
	case LDNS_RR_TYPE_A:
		return "A";
	case LDNS_RR_TYPE_AAAA:
		return "AAAA";
	default:
		return "?";
	}
}

static const char *
rcode_name(int rcode, char *buf, size_t bufsz)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE",
	};

	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	snprintf(buf, bufsz, "RCODE %d", rcode);
	return buf;
}

/* A DNS failure at stage "dns" for name, with the code and reply set. */
static void
dns_fail(struct failure *f, enum fail_class class, const char *name, int code,
    const char *reply, const char *msg)
{
	char host[FAIL_HOST_MAX];

	sanitize_copy(host, sizeof(host), name ? name : "");
	failure_set(f, class, STAGE, "%s", msg);
	failure_where(f, host, NULL, 0);
	failure_reply(f, code, reply);
}

/* A FAIL_USAGE for a name we will not send; the name is shown sanitized. */
static void
fail_bad_name(struct failure *f, const char *name, const char *why)
{
	char shown[FAIL_HOST_MAX], msg[FAIL_MESSAGE_MAX];

	sanitize_copy(shown, sizeof(shown), name ? name : "");
	snprintf(msg, sizeof(msg), "cannot look up \"%s\": %s", shown, why);
	dns_fail(f, FAIL_USAGE, name, 0, NULL, msg);
}

/*
 * The user's name as an absolute ldns dname ("name." - no search list can
 * ever apply), or NULL with why set.
 */
static ldns_rdf *
make_dname(const char *name, char *why, size_t whysz)
{
	char buf[DNS_NAME_MAX + 1];
	size_t len;
	const char *p;
	ldns_rdf *d;

	if (name == NULL || *name == '\0') {
		copy_string(why, whysz, "empty name");
		return NULL;
	}
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			copy_string(why, whysz,
			    "contains spaces, control or non-ASCII characters");
			return NULL;
		}
	len = strlen(name);
	if (len > 254 || (len == 254 && name[len - 1] != '.')) {
		copy_string(why, whysz, "longer than 253 characters");
		return NULL;
	}
	if (strcmp(name, ".") == 0) {
		copy_string(why, whysz, "the root is not a host or domain");
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%s%s", name,
	    name[len - 1] == '.' ? "" : ".");
	d = ldns_dname_new_frm_str(buf);
	if (d == NULL)
		copy_string(why, whysz,
		    "not a valid domain name (empty or over-long label?)");
	return d;
}

/*
 * A dname as text without the trailing dot ("." stays "."); -1 when it
 * does not fit or cannot be converted.
 */
static int
dname_text(const ldns_rdf *d, char *dst, size_t dstsz)
{
	char *s;
	size_t n;

	if (d == NULL || ldns_rdf_get_type(d) != LDNS_RDF_TYPE_DNAME)
		return -1;
	if ((s = ldns_rdf2str(d)) == NULL)
		return -1;
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[--n] = '\0';
	if (n >= dstsz) {
		free(s);
		return -1;
	}
	memcpy(dst, s, n + 1);
	free(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pure helpers from dns.h                                               */

static int
fill_addr(int family, const void *raw, struct dns_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, raw, sizeof(sin->sin_addr));
		a->salen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, raw, sizeof(sin6->sin6_addr));
		a->salen = sizeof(*sin6);
	}
	if (inet_ntop(family, raw, a->text, sizeof(a->text)) == NULL)
		return -1;
	return 0;
}

int
dns_parse_ip_literal(const char *s, struct dns_addr *a)
{
	char buf[FAIL_ADDR_MAX];
	unsigned char raw[sizeof(struct in6_addr)];
	size_t len;
	int v6only = 0;

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		/* "[V6]", "[V4]" or the SMTP form "[IPv6:V6]" */
		s++;
		len -= 2;
		if (len >= 5 && strncasecmp(s, "IPv6:", 5) == 0) {
			s += 5;
			len -= 5;
			v6only = 1;
		}
	}
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!v6only && inet_pton(AF_INET, buf, raw) == 1)
		return fill_addr(AF_INET, raw, a);
	if (inet_pton(AF_INET6, buf, raw) == 1)
		return fill_addr(AF_INET6, raw, a);
	return -1;
}

void
dns_addr_set_port(struct dns_addr *a, int port)
{
	if (a->family == AF_INET)
		((struct sockaddr_in *)&a->sa)->sin_port = htons((uint16_t)port);
	else if (a->family == AF_INET6)
		((struct sockaddr_in6 *)&a->sa)->sin6_port =
		    htons((uint16_t)port);
}

/* Does s look like a host name rather than a mistyped address? */
static int
looks_like_hostname(const char *s)
{
	int alpha = 0;

	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			alpha = 1;
		else if (!(*s >= '0' && *s <= '9') && *s != '.' && *s != '-')
			return 0;
	}
	return alpha;
}

int
dns_parse_server(const char *s, char *addr, size_t addrsz, int *port,
    char *why, size_t whysz)
{
	char host[FAIL_ADDR_MAX];
	struct dns_addr a;
	const char *portstr = NULL, *colon;
	size_t hlen;
	long long p;

	if (s == NULL || *s == '\0') {
		copy_string(why, whysz, "empty DNS server");
		return -1;
	}
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL) {
			copy_string(why, whysz, "missing ']' after the address");
			return -1;
		}
		if (end[1] == ':')
			portstr = end + 2;
		else if (end[1] != '\0') {
			copy_string(why, whysz,
			    "expected ':PORT' after ']'");
			return -1;
		}
		s++;
		hlen = (size_t)(end - s);
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		/* exactly one colon: "V4ADDR:PORT" */
		portstr = colon + 1;
		hlen = (size_t)(colon - s);
	} else {
		hlen = strlen(s);	/* "V4ADDR" or a bare IPv6 address */
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		copy_string(why, whysz, hlen == 0 ? "empty address" :
		    "address too long");
		return -1;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';

	if (portstr != NULL) {
		p = parse_uint(portstr, 1, 65535);
		if (p < 0) {
			copy_string(why, whysz,
			    "bad port (expected a number from 1 to 65535)");
			return -1;
		}
	} else
		p = 53;

	if (host[0] == '[' || dns_parse_ip_literal(host, &a) != 0) {
		if (looks_like_hostname(host))
			copy_string(why, whysz, "host names are not allowed: "
			    "the DNS server must be an IP address");
		else if (strchr(host, '%') != NULL)
			copy_string(why, whysz, "IPv6 scope ids (%...) are "
			    "not supported");
		else
			copy_string(why, whysz, "not an IPv4 or IPv6 address");
		return -1;
	}
	if (strlen(a.text) >= addrsz) {
		copy_string(why, whysz, "address buffer too small");
		return -1;
	}
	copy_string(addr, addrsz, a.text);
	*port = (int)p;
	return 0;
}

int
dns_failure_is_temporary(const struct failure *f)
{
	switch (f->class) {
	case FAIL_TIMEOUT:
		return 1;
	case FAIL_DNS:
		switch (f->code) {
		case LDNS_RCODE_NXDOMAIN:
		case DNS_CODE_NODATA:
		case DNS_CODE_NULLMX:
		case DNS_CODE_CNAME_LOOP:
			return 0;
		default:
			return 1;	/* SERVFAIL, REFUSED, malformed, ... */
		}
	default:
		return failure_is_temporary(f);
	}
}

/* ------------------------------------------------------------------ */
/* Answer decoding (pure)                                                */

/* The server's name for messages when the caller has none. */
static const char *
server_or_default(const char *server)
{
	return server != NULL && *server != '\0' ? server : "the DNS server";
}

static void
fail_malformed(struct failure *f, const char *name, ldns_rr_type type,
    const char *server, const char *why)
{
	char msg[FAIL_MESSAGE_MAX];

	snprintf(msg, sizeof(msg), "%s sent an unusable answer for %s %s: "
	    "%s (treated as temporary)", server_or_default(server), name,
	    type_name(type), why);
	dns_fail(f, FAIL_DNS, name, DNS_CODE_MALFORMED, "malformed", msg);
}

static void
fail_loop(struct failure *f, const char *name)
{
	char msg[FAIL_MESSAGE_MAX];

	snprintf(msg, sizeof(msg), "%s: CNAME chain longer than %d or looping",
	    name, DNS_CNAME_MAX);
	dns_fail(f, FAIL_DNS, name, DNS_CODE_CNAME_LOOP, "CNAME loop", msg);
}

/*
 * Follow the CNAME chain for qname inside the answer section.  *final
 * becomes a clone of the last name (free it), *hops the CNAMEs followed.
 * -1 on a chain longer than DNS_CNAME_MAX (which includes loops).
 */
static int
follow_chain(const ldns_pkt *p, const ldns_rdf *qname, ldns_rdf **final,
    int *hops)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	const ldns_rdf *cur = qname;
	size_t i, n = an ? ldns_rr_list_rr_count(an) : 0;
	int found;

	*hops = 0;
	do {
		found = 0;
		for (i = 0; i < n; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);
			const ldns_rdf *target;

			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME ||
			    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
			    ldns_rr_rd_count(rr) != 1 ||
			    ldns_dname_compare(ldns_rr_owner(rr), cur) != 0)
				continue;
			target = ldns_rr_rdf(rr, 0);
			if (ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME)
				continue;
			if (++*hops > DNS_CNAME_MAX)
				return -1;
			cur = target;
			found = 1;
			break;
		}
	} while (found);
	*final = ldns_rdf_clone(cur);
	return *final != NULL ? 0 : -1;
}

/* True when the authority section has NS but no SOA: a referral. */
static int
is_referral(const ldns_pkt *p)
{
	const ldns_rr_list *au = ldns_pkt_authority(p);
	size_t i, n = au ? ldns_rr_list_rr_count(au) : 0;
	int ns = 0;

	for (i = 0; i < n; i++) {
		ldns_rr_type t = ldns_rr_get_type(ldns_rr_list_rr(au, i));

		if (t == LDNS_RR_TYPE_SOA)
			return 0;
		if (t == LDNS_RR_TYPE_NS)
			ns = 1;
	}
	return ns;
}

/*
 * What every answer must pass: a response to our question, a usable
 * RCODE, a bounded CNAME chain.  0 with *final (the name the records
 * must be owned by; free it) and *hops, or -1 with the failure set.
 */
static int
decode_common(const ldns_pkt *p, const char *name, ldns_rr_type type,
    const char *server, ldns_rdf **final, int *hops, struct failure *f)
{
	char why[128], rbuf[24], msg[FAIL_MESSAGE_MAX], alias[DNS_NAME_MAX];
	const ldns_rr_list *qd = ldns_pkt_question(p);
	ldns_rdf *qname;
	int rcode = (int)ldns_pkt_get_rcode(p);
	const char *rname = rcode_name(rcode, rbuf, sizeof(rbuf));

	*final = NULL;
	if ((qname = make_dname(name, why, sizeof(why))) == NULL) {
		fail_bad_name(f, name, why);
		return -1;
	}
	if (!ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY) {
		fail_malformed(f, name, type, server, "not a response");
		goto fail;
	}
	if (qd != NULL && ldns_rr_list_rr_count(qd) > 0) {
		const ldns_rr *q = ldns_rr_list_rr(qd, 0);

		if (ldns_rr_list_rr_count(qd) != 1 ||
		    ldns_rr_get_type(q) != type ||
		    ldns_rr_get_class(q) != LDNS_RR_CLASS_IN ||
		    ldns_dname_compare(ldns_rr_owner(q), qname) != 0) {
			fail_malformed(f, name, type, server,
			    "it answers a different question");
			goto fail;
		}
	} else if (rcode == LDNS_RCODE_NOERROR ||
	    rcode == LDNS_RCODE_NXDOMAIN) {
		/* error replies may drop the question; answers may not */
		fail_malformed(f, name, type, server, "no question section");
		goto fail;
	}

	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		if (rcode == LDNS_RCODE_REFUSED)
			snprintf(msg, sizeof(msg), "%s refused to look up %s "
			    "%s (REFUSED; temporary - is it a resolver that "
			    "serves this client?)", server_or_default(server),
			    name, type_name(type));
		else
			snprintf(msg, sizeof(msg), "%s could not look up %s "
			    "%s (%s; temporary, try again later)",
			    server_or_default(server), name, type_name(type),
			    rname);
		dns_fail(f, FAIL_DNS, name, rcode, rname, msg);
		goto fail;
	}
	if (follow_chain(p, qname, final, hops) != 0) {
		fail_loop(f, name);
		goto fail;
	}
	if (rcode == LDNS_RCODE_NXDOMAIN) {
		if (*hops > 0 && dname_text(*final, alias, sizeof(alias)) == 0)
			snprintf(msg, sizeof(msg), "%s is an alias for %s, "
			    "which does not exist (NXDOMAIN)", name, alias);
		else
			snprintf(msg, sizeof(msg),
			    "%s does not exist (NXDOMAIN)", name);
		dns_fail(f, FAIL_DNS, name, rcode, rname, msg);
		goto fail;
	}
	ldns_rdf_deep_free(qname);
	return 0;
fail:
	ldns_rdf_deep_free(qname);
	ldns_rdf_deep_free(*final);
	*final = NULL;
	return -1;
}

/*
 * An answer with no records of the type: the alias to re-query when the
 * answer stops at a CNAME (0 with alias set), a referral (-1), or 1 for
 * "no such records" (NODATA) - the caller words that one.
 */
static int
decode_empty(const ldns_pkt *p, const char *name, ldns_rr_type type,
    const char *server, const ldns_rdf *final, int hops, char *alias,
    size_t aliassz, struct failure *f)
{
	if (hops > 0 && alias != NULL) {
		if (dname_text(final, alias, aliassz) != 0) {
			fail_malformed(f, name, type, server,
			    "CNAME target too long");
			return -1;
		}
		return 0;
	}
	if (is_referral(p)) {
		fail_malformed(f, name, type, server, "a referral instead of "
		    "an answer - the server does not recurse (RA=0)");
		return -1;
	}
	return 1;
}

/*
 * Add an MX to a set kept sorted by preference: stable (an entry goes
 * after the ones of equal preference), deduplicated (a host keeps its best
 * preference), bounded (the worst entries fall off the end).
 */
static void
mx_add(struct dns_mx_set *set, const char *host, int pref)
{
	size_t i, pos;

	for (i = 0; i < set->n; i++) {
		if (ascii_casecmp(set->mx[i].host, host) != 0)
			continue;
		if (set->mx[i].preference <= pref)
			return;
		memmove(&set->mx[i], &set->mx[i + 1],
		    (set->n - i - 1) * sizeof(set->mx[0]));
		set->n--;
		break;
	}
	for (pos = 0; pos < set->n && set->mx[pos].preference <= pref; pos++)
		;
	if (pos >= DNS_MX_MAX)
		return;
	if (set->n == DNS_MX_MAX)
		set->n--;
	memmove(&set->mx[pos + 1], &set->mx[pos],
	    (set->n - pos) * sizeof(set->mx[0]));
	memset(&set->mx[pos], 0, sizeof(set->mx[pos]));
	copy_string(set->mx[pos].host, sizeof(set->mx[pos].host), host);
	set->mx[pos].preference = pref;
	set->n++;
}

static void
mx_implicit(struct dns_mx_set *set, const char *domain)
{
	char host[DNS_NAME_MAX];
	size_t n;

	copy_string(host, sizeof(host), domain);
	n = strlen(host);
	if (n > 1 && host[n - 1] == '.')
		host[n - 1] = '\0';
	memset(set, 0, sizeof(*set));
	copy_string(set->mx[0].host, sizeof(set->mx[0].host), host);
	set->mx[0].preference = 0;
	set->n = 1;
	set->implicit = 1;
}

static int
mx_from_pkt(const ldns_pkt *p, const char *domain, const char *server,
    struct dns_mx_set *set, char *alias, size_t aliassz, struct failure *f)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	size_t i, n = an ? ldns_rr_list_rr_count(an) : 0;
	ldns_rdf *final;
	char host[DNS_NAME_MAX], msg[FAIL_MESSAGE_MAX];
	int hops, records = 0, nullmx = 0, rc;

	memset(set, 0, sizeof(*set));
	if (alias != NULL && aliassz > 0)
		alias[0] = '\0';
	if (decode_common(p, domain, LDNS_RR_TYPE_MX, server, &final, &hops,
	    f) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		const ldns_rdf *pref, *target;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_MX ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_rr_rd_count(rr) != 2 ||
		    ldns_dname_compare(ldns_rr_owner(rr), final) != 0)
			continue;
		pref = ldns_rr_rdf(rr, 0);
		target = ldns_rr_rdf(rr, 1);
		if (ldns_rdf_get_type(pref) != LDNS_RDF_TYPE_INT16 ||
		    ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME)
			continue;
		records++;
		if (ldns_dname_label_count(target) == 0) {
			nullmx++;	/* "." (RFC 7505) */
			continue;
		}
		if (dname_text(target, host, sizeof(host)) != 0)
			continue;	/* escaped past DNS_NAME_MAX */
		mx_add(set, host, (int)ldns_rdf2native_int16(pref));
	}

	if (set->n > 0) {
		/* MX "." next to real hosts is a misconfiguration: ignored */
		ldns_rdf_deep_free(final);
		return 0;
	}
	if (nullmx > 0 && nullmx == records) {
		snprintf(msg, sizeof(msg), "%s does not accept mail "
		    "(null MX, RFC 7505)", domain);
		dns_fail(f, FAIL_DNS, domain, DNS_CODE_NULLMX, "null MX", msg);
		ldns_rdf_deep_free(final);
		return -1;
	}
	if (records > 0) {
		fail_malformed(f, domain, LDNS_RR_TYPE_MX, server,
		    "no MX target is usable");
		ldns_rdf_deep_free(final);
		return -1;
	}
	rc = decode_empty(p, domain, LDNS_RR_TYPE_MX, server, final, hops,
	    alias, aliassz, f);
	ldns_rdf_deep_free(final);
	if (rc == 1) {
		mx_implicit(set, domain);	/* RFC 5321 5.1 */
		rc = 0;
	}
	return rc;
}

static int
addrs_from_pkt(const ldns_pkt *p, const char *name, int family,
    const char *server, struct dns_addr_list *list, char *alias,
    size_t aliassz, struct failure *f)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	size_t i, j, n = an ? ldns_rr_list_rr_count(an) : 0;
	ldns_rr_type type = family == AF_INET ? LDNS_RR_TYPE_A :
	    LDNS_RR_TYPE_AAAA;
	ldns_rdf_type rdtype = family == AF_INET ? LDNS_RDF_TYPE_A :
	    LDNS_RDF_TYPE_AAAA;
	size_t rawlen = family == AF_INET ? 4 : 16;
	ldns_rdf *final;
	char msg[FAIL_MESSAGE_MAX];
	int hops, rc;

	memset(list, 0, sizeof(*list));
	if (alias != NULL && aliassz > 0)
		alias[0] = '\0';
	if (family != AF_INET && family != AF_INET6) {
		dns_fail(f, FAIL_LOCAL, name, 0, NULL,
		    "internal error: address family must be AF_INET or "
		    "AF_INET6");
		return -1;
	}
	if (decode_common(p, name, type, server, &final, &hops, f) != 0)
		return -1;
	for (i = 0; i < n && list->n < DNS_ADDR_MAX; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		const ldns_rdf *rd;
		struct dns_addr a;
		int dup = 0;

		if (ldns_rr_get_type(rr) != type ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_rr_rd_count(rr) != 1 ||
		    ldns_dname_compare(ldns_rr_owner(rr), final) != 0)
			continue;
		rd = ldns_rr_rdf(rr, 0);
		if (ldns_rdf_get_type(rd) != rdtype ||
		    ldns_rdf_size(rd) != rawlen ||
		    fill_addr(family, ldns_rdf_data(rd), &a) != 0)
			continue;
		for (j = 0; j < list->n; j++)
			if (strcmp(list->addr[j].text, a.text) == 0)
				dup = 1;
		if (!dup)
			list->addr[list->n++] = a;
	}
	if (list->n > 0) {
		ldns_rdf_deep_free(final);
		return 0;
	}
	rc = decode_empty(p, name, type, server, final, hops, alias, aliassz,
	    f);
	ldns_rdf_deep_free(final);
	if (rc == 1) {
		snprintf(msg, sizeof(msg), "%s has no %s records", name,
		    type_name(type));
		dns_fail(f, FAIL_DNS, name, DNS_CODE_NODATA, "NOERROR, no data",
		    msg);
		rc = -1;
	}
	return rc;
}

/* Wire bytes to a packet, or -1 with a malformed-answer failure. */
static int
wire_to_pkt(const uint8_t *wire, size_t len, const char *name,
    ldns_rr_type type, ldns_pkt **p, struct failure *f)
{
	char why[160];
	ldns_status st;

	*p = NULL;
	if (wire == NULL || len == 0) {
		fail_malformed(f, name ? name : "", type, NULL, "empty answer");
		return -1;
	}
	st = ldns_wire2pkt(p, wire, len);
	if (st != LDNS_STATUS_OK || *p == NULL) {
		if (*p != NULL)
			ldns_pkt_free(*p);
		*p = NULL;
		snprintf(why, sizeof(why), "cannot parse it (%s)",
		    ldns_get_errorstr_by_id(st) ? ldns_get_errorstr_by_id(st) :
		    "unknown error");
		fail_malformed(f, name ? name : "", type, NULL, why);
		return -1;
	}
	return 0;
}

int
dns_mx_from_wire(const uint8_t *wire, size_t len, const char *domain,
    struct dns_mx_set *set, char *alias, size_t aliassz, struct failure *f)
{
	ldns_pkt *p;
	int rc;

	memset(set, 0, sizeof(*set));
	if (alias != NULL && aliassz > 0)
		alias[0] = '\0';
	if (wire_to_pkt(wire, len, domain, LDNS_RR_TYPE_MX, &p, f) != 0)
		return -1;
	rc = mx_from_pkt(p, domain, NULL, set, alias, aliassz, f);
	ldns_pkt_free(p);
	return rc;
}

int
dns_addresses_from_wire(const uint8_t *wire, size_t len, const char *name,
    int family, struct dns_addr_list *list, char *alias, size_t aliassz,
    struct failure *f)
{
	ldns_pkt *p;
	int rc;

	memset(list, 0, sizeof(*list));
	if (alias != NULL && aliassz > 0)
		alias[0] = '\0';
	if (wire_to_pkt(wire, len, name, family == AF_INET ? LDNS_RR_TYPE_A :
	    LDNS_RR_TYPE_AAAA, &p, f) != 0)
		return -1;
	rc = addrs_from_pkt(p, name, family, NULL, list, alias, aliassz, f);
	ldns_pkt_free(p);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Resolver                                                             */

static void
set_defaults(ldns_resolver *lr)
{
	ldns_resolver_set_defnames(lr, false);	/* names are absolute */
	ldns_resolver_set_dnsrch(lr, false);
	ldns_resolver_set_recursive(lr, true);	/* we also pass LDNS_RD */
	ldns_resolver_set_dnssec(lr, false);
	ldns_resolver_set_dnssec_cd(lr, false);
	ldns_resolver_set_edns_udp_size(lr, 0);
	ldns_resolver_set_usevc(lr, false);
	ldns_resolver_set_fallback(lr, false);	/* our own TCP, see top */
	ldns_resolver_set_igntc(lr, false);
	ldns_resolver_set_fail(lr, false);	/* try every nameserver */
	ldns_resolver_set_random(lr, false);	/* resolv.conf order */
	ldns_resolver_set_retry(lr, 1);		/* we retry, per deadline */
	ldns_resolver_set_retrans(lr, 0);
	ldns_resolver_set_ip6(lr, LDNS_RESOLV_INETANY);
	ldns_resolver_set_debug(lr, false);	/* it would print */
}

static void
describe_system(struct dns_resolver *res)
{
	ldns_rdf **ns = ldns_resolver_nameservers(res->lr);
	size_t i, n = ldns_resolver_nameserver_count(res->lr);
	char *s;

	res->desc[0] = '\0';
	cat(res->desc, sizeof(res->desc), n > 1 ? "DNS servers " :
	    "DNS server ");
	for (i = 0; i < n; i++) {
		if (i > 0)
			cat(res->desc, sizeof(res->desc), ", ");
		if ((s = ldns_rdf2str(ns[i])) != NULL) {
			cat(res->desc, sizeof(res->desc), s);
			free(s);
		}
	}
	cat(res->desc, sizeof(res->desc), " (from /etc/resolv.conf)");
}

struct dns_resolver *
dns_resolver_new(const char *server, struct failure *f)
{
	struct dns_resolver *res;
	char addr[FAIL_ADDR_MAX], why[128], shown[128];
	int port, v6;
	ldns_status st;
	ldns_rdf *ns;

	if ((res = calloc(1, sizeof(*res))) == NULL) {
		failure_set(f, FAIL_LOCAL, STAGE, "out of memory");
		return NULL;
	}
	if (server == NULL || *server == '\0') {
		st = ldns_resolver_new_frm_file(&res->lr, NULL);
		if (st != LDNS_STATUS_OK) {
			res->lr = NULL;
			failure_set(f, FAIL_LOCAL, STAGE, "cannot use "
			    "/etc/resolv.conf: %s; give a DNS server with "
			    "--dns-server", ldns_get_errorstr_by_id(st) ?
			    ldns_get_errorstr_by_id(st) : "unknown error");
			goto fail;
		}
		if (ldns_resolver_nameserver_count(res->lr) == 0) {
			failure_set(f, FAIL_LOCAL, STAGE, "/etc/resolv.conf "
			    "names no nameserver; give a DNS server with "
			    "--dns-server");
			goto fail;
		}
		set_defaults(res->lr);
		ldns_resolver_set_port(res->lr, 53);
		describe_system(res);
		return res;
	}

	if (dns_parse_server(server, addr, sizeof(addr), &port, why,
	    sizeof(why)) != 0) {
		sanitize_copy(shown, sizeof(shown), server);
		failure_set(f, FAIL_USAGE, STAGE,
		    "bad DNS server \"%s\": %s (use ADDR, ADDR:PORT, IPV6 or "
		    "[IPV6]:PORT)", shown, why);
		goto fail;
	}
	if ((res->lr = ldns_resolver_new()) == NULL) {
		failure_set(f, FAIL_LOCAL, STAGE, "out of memory");
		goto fail;
	}
	v6 = strchr(addr, ':') != NULL;
	ns = ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A,
	    addr);
	if (ns == NULL ||
	    ldns_resolver_push_nameserver(res->lr, ns) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(ns);
		failure_set(f, FAIL_LOCAL, STAGE,
		    "cannot set DNS server %s in ldns", addr);
		goto fail;
	}
	ldns_rdf_deep_free(ns);	/* push_nameserver keeps a clone */
	set_defaults(res->lr);
	ldns_resolver_set_port(res->lr, (uint16_t)port);
	snprintf(res->desc, sizeof(res->desc), "DNS server %s%s%s:%d",
	    v6 ? "[" : "", addr, v6 ? "]" : "", port);
	return res;
fail:
	dns_resolver_free(res);
	return NULL;
}

void
dns_resolver_free(struct dns_resolver *res)
{
	if (res == NULL)
		return;
	if (res->lr != NULL)
		ldns_resolver_deep_free(res->lr);
	free(res);
}

/* ------------------------------------------------------------------ */
/* Transport                                                            */

/* Wait for events on fd until end_ms; 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short events, const struct deadline *dl)
{
	struct pollfd pfd;
	int rc;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, deadline_wait_ms(dl, 0));
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* Write all of buf within dl; -1 with why set. */
static int
write_all(int fd, const uint8_t *buf, size_t len, const struct deadline *dl,
    char *why, size_t whysz)
{
	size_t off = 0;
	ssize_t n;
	int rc;

	while (off < len) {
		n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(why, whysz, "TCP send: %s", strerror(errno));
			return -1;
		}
		if ((rc = wait_fd(fd, POLLOUT, dl)) <= 0) {
			copy_string(why, whysz, rc == 0 ? "TCP send timed out" :
			    "TCP send: poll failed");
			return -1;
		}
	}
	return 0;
}

/* Read exactly len bytes within dl; -1 with why set. */
static int
read_all(int fd, uint8_t *buf, size_t len, const struct deadline *dl,
    char *why, size_t whysz)
{
	size_t off = 0;
	ssize_t n;
	int rc;

	while (off < len) {
		n = recv(fd, buf + off, len - off, 0);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0) {
			copy_string(why, whysz, "TCP connection closed early");
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(why, whysz, "TCP receive: %s", strerror(errno));
			return -1;
		}
		if ((rc = wait_fd(fd, POLLIN, dl)) <= 0) {
			copy_string(why, whysz, rc == 0 ?
			    "TCP answer timed out" : "TCP receive: poll failed");
			return -1;
		}
	}
	return 0;
}

/*
 * One DNS exchange over TCP (RFC 7766), every step bounded by dl: the
 * answer's wire bytes in *out (free()), or -1 with why set.
 */
static int
tcp_exchange(const struct sockaddr_storage *ss, socklen_t sslen,
    const uint8_t *q, size_t qlen, const struct deadline *dl, uint8_t **out,
    size_t *outlen, char *why, size_t whysz)
{
	uint8_t *buf = NULL, hdr[2];
	size_t len;
	int fd, err = 0, rc;
	socklen_t errlen = sizeof(err);

	*out = NULL;
	*outlen = 0;
	if (qlen > 65535) {
		copy_string(why, whysz, "query too long");
		return -1;
	}
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(why, whysz, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)ss, sslen) == -1) {
		if (errno != EINPROGRESS) {
			snprintf(why, whysz, "TCP connect: %s",
			    strerror(errno));
			goto fail;
		}
		if ((rc = wait_fd(fd, POLLOUT, dl)) <= 0) {
			copy_string(why, whysz, rc == 0 ?
			    "TCP connect timed out" : "TCP connect: poll failed");
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) == -1)
			err = errno;
		if (err != 0) {
			snprintf(why, whysz, "TCP connect: %s", strerror(err));
			goto fail;
		}
	}

	/* the two-byte length, then the query, in one write */
	if ((buf = malloc(qlen + 2)) == NULL) {
		copy_string(why, whysz, "out of memory");
		goto fail;
	}
	buf[0] = (uint8_t)(qlen >> 8);
	buf[1] = (uint8_t)(qlen & 0xff);
	memcpy(buf + 2, q, qlen);
	if (write_all(fd, buf, qlen + 2, dl, why, whysz) != 0)
		goto fail;
	free(buf);
	buf = NULL;

	if (read_all(fd, hdr, 2, dl, why, whysz) != 0)
		goto fail;
	len = ((size_t)hdr[0] << 8) | hdr[1];
	if (len == 0) {
		copy_string(why, whysz, "empty TCP answer");
		goto fail;
	}
	if ((buf = malloc(len)) == NULL) {
		copy_string(why, whysz, "out of memory");
		goto fail;
	}
	if (read_all(fd, buf, len, dl, why, whysz) != 0)
		goto fail;
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

enum try_result { TRY_SILENT, TRY_NETWORK, TRY_MALFORMED };

/*
 * ldns marks a nameserver that did not answer as unreachable and skips it
 * from then on, so a dead first server costs one timeout per resolver, not
 * one per query.  When all are marked, mark them all reachable again: the
 * next try asks them all.  The number of servers the next try will ask.
 */
static size_t
live_nameservers(ldns_resolver *lr)
{
	size_t i, live = 0, n = ldns_resolver_nameserver_count(lr);

	for (i = 0; i < n; i++)
		if (ldns_resolver_nameserver_rtt(lr, i) != LDNS_RESOLV_RTT_INF)
			live++;
	if (live == 0) {
		for (i = 0; i < n; i++)
			ldns_resolver_set_nameserver_rtt(lr, i,
			    LDNS_RESOLV_RTT_MIN);
		live = n;
	}
	return live;
}

/*
 * Re-ask over TCP the server that sent a truncated answer: the answer in
 * *ans, or -1 with why set.
 */
static int
retry_over_tcp(struct dns_resolver *res, const ldns_pkt *q,
    const ldns_rdf *from, const struct deadline *dl, ldns_pkt **ans,
    char *why, size_t whysz)
{
	struct sockaddr_storage *ss;
	struct deadline tdl;
	uint8_t *qw = NULL, *aw = NULL;
	size_t qlen, alen, sslen = 0;
	ldns_status st;
	int rc = -1;

	*ans = NULL;
	if (from == NULL ||
	    (ss = ldns_rdf2native_sockaddr_storage(from,
	    ldns_resolver_port(res->lr), &sslen)) == NULL) {
		copy_string(why, whysz, "truncated answer from an unknown "
		    "server");
		return -1;
	}
	if (ldns_pkt2wire(&qw, q, &qlen) != LDNS_STATUS_OK) {
		copy_string(why, whysz, "cannot build the TCP query");
		goto out;
	}
	/* TCP gets up to two tries' worth, never more than the deadline */
	tdl.end_ms = mono_now_ms() + 2 * DNS_TRY_MS;
	if (tdl.end_ms > dl->end_ms)
		tdl.end_ms = dl->end_ms;
	if (tcp_exchange(ss, (socklen_t)sslen, qw, qlen, &tdl, &aw, &alen,
	    why, whysz) != 0)
		goto out;
	st = ldns_wire2pkt(ans, aw, alen);
	if (st != LDNS_STATUS_OK) {
		if (*ans != NULL)
			ldns_pkt_free(*ans);
		*ans = NULL;
		snprintf(why, whysz, "cannot parse the TCP answer (%s)",
		    ldns_get_errorstr_by_id(st) ? ldns_get_errorstr_by_id(st) :
		    "unknown error");
		goto out;
	}
	rc = 0;
out:
	free(qw);
	free(aw);
	free(ss);
	return rc;
}

/*
 * Send one query for name/type, retrying within the deadline: the answer
 * (ID checked, TCP used when truncated) in *out, or -1 with FAIL_TIMEOUT,
 * FAIL_DNS (malformed, network) or FAIL_USAGE/FAIL_LOCAL set.  The RCODE
 * is left for the decoders.
 */
static int
query(struct dns_resolver *res, const char *name, ldns_rr_type type,
    const struct deadline *dl, ldns_pkt **out, struct failure *f)
{
	char why[200] = "", msg[FAIL_MESSAGE_MAX];
	enum try_result worst = TRY_SILENT;
	ldns_rdf *qname;
	ldns_pkt *q = NULL, *ans;
	ldns_status st;
	size_t live;
	int64_t start = mono_now_ms(), left, per;
	int tries = 0;

	*out = NULL;
	if ((qname = make_dname(name, why, sizeof(why))) == NULL) {
		fail_bad_name(f, name, why);
		return -1;
	}
	st = ldns_resolver_prepare_query_pkt(&q, res->lr, qname, type,
	    LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_rdf_deep_free(qname);	/* the query holds a clone */
	if (st != LDNS_STATUS_OK || q == NULL) {
		dns_fail(f, FAIL_LOCAL, name, 0, NULL,
		    "cannot build a DNS query");
		return -1;
	}

	while (tries < DNS_TRIES) {
		struct timeval tv;

		left = deadline_left_ms(dl);
		if (left < MIN_TRY_MS)
			break;
		live = live_nameservers(res->lr);
		per = left / (int64_t)(live > 0 ? live : 1);
		if (per > DNS_TRY_MS)
			per = DNS_TRY_MS;
		if (per < 1)
			per = 1;
		tv.tv_sec = (time_t)(per / 1000);
		tv.tv_usec = (suseconds_t)(per % 1000) * 1000;
		ldns_resolver_set_timeout(res->lr, tv);
		tries++;

		ans = NULL;
		st = ldns_resolver_send_pkt(&ans, res->lr, q);
		if (st != LDNS_STATUS_OK || ans == NULL) {
			if (ans != NULL)
				ldns_pkt_free(ans);
			if (st == LDNS_STATUS_NETWORK_ERR ||
			    st == LDNS_STATUS_RES_NO_NS ||
			    st == LDNS_STATUS_ERR || st == LDNS_STATUS_OK)
				continue;	/* silence */
			if (st == LDNS_STATUS_SOCKET_ERROR) {
				if (worst < TRY_NETWORK) {
					worst = TRY_NETWORK;
					copy_string(why, sizeof(why), "cannot "
					    "send the query (socket error)");
				}
				continue;
			}
			worst = TRY_MALFORMED;
			snprintf(why, sizeof(why), "cannot parse it (%s)",
			    ldns_get_errorstr_by_id(st) ?
			    ldns_get_errorstr_by_id(st) : "unknown error");
			continue;
		}
		if (!ldns_pkt_qr(ans) || ldns_pkt_id(ans) != ldns_pkt_id(q)) {
			ldns_pkt_free(ans);
			worst = TRY_MALFORMED;
			copy_string(why, sizeof(why),
			    "the answer's ID does not match the query");
			continue;
		}
		if (ldns_pkt_tc(ans)) {
			ldns_pkt *tans = NULL;
			char twhy[128];
			int rc;

			rc = retry_over_tcp(res, q, ldns_pkt_answerfrom(ans),
			    dl, &tans, twhy, sizeof(twhy));
			ldns_pkt_free(ans);
			if (rc != 0) {
				if (worst < TRY_NETWORK) {
					worst = TRY_NETWORK;
					snprintf(why, sizeof(why), "the answer "
					    "was truncated and TCP failed: %s",
					    twhy);
				}
				continue;
			}
			ans = tans;
			if (!ldns_pkt_qr(ans) ||
			    ldns_pkt_id(ans) != ldns_pkt_id(q)) {
				ldns_pkt_free(ans);
				worst = TRY_MALFORMED;
				copy_string(why, sizeof(why), "the TCP "
				    "answer's ID does not match the query");
				continue;
			}
		}
		ldns_pkt_free(q);
		*out = ans;
		return 0;
	}
	ldns_pkt_free(q);

	if (worst == TRY_MALFORMED) {
		fail_malformed(f, name, type, res->desc, why);
		return -1;
	}
	if (worst == TRY_NETWORK) {
		snprintf(msg, sizeof(msg), "%s: no usable answer for %s %s: "
		    "%s (temporary)", res->desc, name, type_name(type), why);
		dns_fail(f, FAIL_DNS, name, DNS_CODE_NETWORK, "network", msg);
		return -1;
	}
	if (tries == 0)
		snprintf(msg, sizeof(msg), "no time left to ask %s for %s %s",
		    res->desc, name, type_name(type));
	else
		snprintf(msg, sizeof(msg), "no answer from %s for %s %s "
		    "within %.1f s (%d %s)", res->desc, name, type_name(type),
		    (double)(mono_now_ms() - start) / 1000.0, tries,
		    tries == 1 ? "try" : "tries");
	dns_fail(f, FAIL_TIMEOUT, name, 0, NULL, msg);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                              */

/* A failure met after following name's CNAME to cur: say so. */
static void
note_alias(struct failure *f, const char *name, const char *cur)
{
	char msg[FAIL_MESSAGE_MAX];

	msg[0] = '\0';
	cat(msg, sizeof(msg), name);
	cat(msg, sizeof(msg), " is an alias for ");
	cat(msg, sizeof(msg), cur);
	cat(msg, sizeof(msg), "; ");
	cat(msg, sizeof(msg), f->message);
	copy_string(f->message, sizeof(f->message), msg);
	failure_where(f, name, NULL, 0);
}

int
dns_mx(struct dns_resolver *res, const char *domain,
    const struct deadline *dl, struct dns_mx_set *set, struct failure *f)
{
	char cur[DNS_NAME_MAX], alias[DNS_NAME_MAX], why[128];
	struct dns_addr lit;
	ldns_rdf *d;
	ldns_pkt *p;
	int hop, rc;

	memset(set, 0, sizeof(*set));
	if (domain == NULL)
		domain = "";
	if (dns_parse_ip_literal(domain, &lit) == 0) {
		/* an address literal has no MX: deliver to it directly */
		mx_implicit(set, domain);
		return 0;
	}
	if ((d = make_dname(domain, why, sizeof(why))) == NULL) {
		fail_bad_name(f, domain, why);
		return -1;
	}
	ldns_rdf_deep_free(d);
	copy_string(cur, sizeof(cur), domain);
	for (hop = 0; hop <= DNS_CNAME_MAX; hop++) {
		if (query(res, cur, LDNS_RR_TYPE_MX, dl, &p, f) != 0)
			goto fail;
		rc = mx_from_pkt(p, cur, res->desc, set, alias, sizeof(alias),
		    f);
		ldns_pkt_free(p);
		if (rc != 0)
			goto fail;
		if (alias[0] == '\0') {
			if (set->implicit)	/* the domain as given */
				mx_implicit(set, domain);
			return 0;
		}
		copy_string(cur, sizeof(cur), alias);	/* a CNAME: follow */
	}
	fail_loop(f, domain);
	return -1;
fail:
	memset(set, 0, sizeof(*set));
	if (hop > 0)
		note_alias(f, domain, cur);
	return -1;
}

/* The addresses of one family, following CNAMEs across queries. */
static int
lookup_family(struct dns_resolver *res, const char *name, int family,
    const struct deadline *dl, struct dns_addr_list *list, struct failure *f)
{
	char cur[DNS_NAME_MAX], alias[DNS_NAME_MAX];
	ldns_rr_type type = family == AF_INET ? LDNS_RR_TYPE_A :
	    LDNS_RR_TYPE_AAAA;
	ldns_pkt *p;
	int hop, rc;

	copy_string(cur, sizeof(cur), name);
	for (hop = 0; hop <= DNS_CNAME_MAX; hop++) {
		if (query(res, cur, type, dl, &p, f) != 0)
			goto fail;
		rc = addrs_from_pkt(p, cur, family, res->desc, list, alias,
		    sizeof(alias), f);
		ldns_pkt_free(p);
		if (rc != 0)
			goto fail;
		if (alias[0] == '\0')
			return 0;
		copy_string(cur, sizeof(cur), alias);
	}
	fail_loop(f, name);
	return -1;
fail:
	memset(list, 0, sizeof(*list));
	if (hop > 0)
		note_alias(f, name, cur);
	return -1;
}

/* Both families failed: one failure that names both. */
static void
combine_failures(const char *name, const struct failure *f6,
    const struct failure *f4, struct failure *f)
{
	char msg[FAIL_MESSAGE_MAX];
	int t6 = dns_failure_is_temporary(f6);
	int t4 = dns_failure_is_temporary(f4);

	if (f6->class == FAIL_DNS && f6->code == DNS_CODE_NODATA &&
	    f4->class == FAIL_DNS && f4->code == DNS_CODE_NODATA) {
		*f = *f6;
		failure_set(f, FAIL_DNS, STAGE, "%s has no A/AAAA records",
		    name);
		return;
	}
	/* a temporary failure wins: another try might still find one */
	*f = (t6 || !t4) ? *f6 : *f4;
	msg[0] = '\0';
	cat(msg, sizeof(msg), "AAAA: ");
	cat(msg, sizeof(msg), f6->message);
	cat(msg, sizeof(msg), "; A: ");
	cat(msg, sizeof(msg), f4->message);
	failure_set(f, f->class, STAGE, "%s", msg);
}

int
dns_addresses(struct dns_resolver *res, const char *name, int family,
    const struct deadline *dl, struct dns_addr_list *list, struct failure *f)
{
	struct dns_addr_list l6, l4;
	struct failure f6, f4;
	struct dns_addr lit;
	char msg[FAIL_MESSAGE_MAX], why[128];
	ldns_rdf *d;
	size_t i, take6;
	int tried4 = 0;

	memset(list, 0, sizeof(*list));
	if (name == NULL)
		name = "";
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
		dns_fail(f, FAIL_LOCAL, name, 0, NULL, "internal error: "
		    "bad address family");
		return -1;
	}
	if (dns_parse_ip_literal(name, &lit) == 0) {
		if (family != AF_UNSPEC && family != lit.family) {
			snprintf(msg, sizeof(msg), "%s is an %s address, but "
			    "only %s was asked for (%s)", lit.text,
			    lit.family == AF_INET ? "IPv4" : "IPv6",
			    family == AF_INET ? "IPv4" : "IPv6",
			    family == AF_INET ? "-4" : "-6");
			dns_fail(f, FAIL_USAGE, name, 0, NULL, msg);
			return -1;
		}
		list->addr[0] = lit;
		list->n = 1;
		return 0;
	}
	if (name[0] == '[') {
		fail_bad_name(f, name, "not a valid address literal");
		return -1;
	}
	if ((d = make_dname(name, why, sizeof(why))) == NULL) {
		fail_bad_name(f, name, why);
		return -1;
	}
	ldns_rdf_deep_free(d);

	failure_clear(&f6);
	failure_clear(&f4);
	memset(&l6, 0, sizeof(l6));
	memset(&l4, 0, sizeof(l4));
	if (family != AF_INET) {
		/*
		 * When A is wanted too, AAAA gets half of what is left, so a
		 * server that drops AAAA queries still lets A be asked.
		 */
		struct deadline d6 = *dl;

		if (family == AF_UNSPEC)
			d6.end_ms = mono_now_ms() + deadline_left_ms(dl) / 2;
		(void)lookup_family(res, name, AF_INET6, &d6, &l6, &f6);
	}
	/* NXDOMAIN is about the name, not the type (RFC 8020): no A query */
	if (family != AF_INET6 && !(f6.class == FAIL_DNS &&
	    f6.code == LDNS_RCODE_NXDOMAIN)) {
		(void)lookup_family(res, name, AF_INET, dl, &l4, &f4);
		tried4 = 1;
	}

	if (l6.n + l4.n > 0) {
		/* IPv6 first, but keep room for IPv4 when both exist */
		take6 = l6.n;
		if (take6 + l4.n > DNS_ADDR_MAX)
			take6 = DNS_ADDR_MAX - (l4.n < DNS_ADDR_MAX / 2 ?
			    l4.n : DNS_ADDR_MAX / 2);
		if (take6 > l6.n)
			take6 = l6.n;
		for (i = 0; i < take6; i++)
			list->addr[list->n++] = l6.addr[i];
		for (i = 0; i < l4.n && list->n < DNS_ADDR_MAX; i++)
			list->addr[list->n++] = l4.addr[i];
		return 0;
	}

	if (family == AF_INET6) {
		*f = f6;
		if (f->class == FAIL_DNS && f->code == DNS_CODE_NODATA)
			failure_set(f, FAIL_DNS, STAGE, "%s has no AAAA "
			    "records (only IPv6 was asked for, -6)", name);
	} else if (family == AF_INET) {
		*f = f4;
		if (f->class == FAIL_DNS && f->code == DNS_CODE_NODATA)
			failure_set(f, FAIL_DNS, STAGE, "%s has no A records "
			    "(only IPv4 was asked for, -4)", name);
	} else if (!tried4)
		*f = f6;	/* NXDOMAIN */
	else
		combine_failures(name, &f6, &f4, f);
	failure_where(f, name, NULL, 0);
	return -1;
}
