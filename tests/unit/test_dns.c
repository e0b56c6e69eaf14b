/*
 * test_dns.c - dns.c without a network: the pure helpers, and the answer
 * decoders fed with packets built by ldns (or cut and garbled wire).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "harness.h"

/* ------------------------------------------------------------------ */
/* Building answers                                                     */

struct pkt_spec {
	const char	*question;	/* "sut.test. IN MX", NULL for none */
	int		 rcode;
	int		 qr;		/* -1: a query, not a response */
	const char	*answer[24];	/* zone-file lines */
	const char	*authority[4];
};

/* The wire form of spec; free() it.  NULL when ldns refuses a line. */
static uint8_t *
build(const struct pkt_spec *spec, size_t *len)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *rr;
	uint8_t *wire = NULL;
	size_t i;

	if (p == NULL)
		return NULL;
	ldns_pkt_set_id(p, 4711);
	ldns_pkt_set_qr(p, spec->qr >= 0);
	ldns_pkt_set_rd(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)spec->rcode);
	if (spec->question != NULL) {
		if (ldns_rr_new_question_frm_str(&rr, spec->question, NULL,
		    NULL) != LDNS_STATUS_OK)
			goto out;
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	}
	for (i = 0; i < 24 && spec->answer[i] != NULL; i++) {
		if (ldns_rr_new_frm_str(&rr, spec->answer[i], 300, NULL,
		    NULL) != LDNS_STATUS_OK)
			goto out;
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	for (i = 0; i < 4 && spec->authority[i] != NULL; i++) {
		if (ldns_rr_new_frm_str(&rr, spec->authority[i], 300, NULL,
		    NULL) != LDNS_STATUS_OK)
			goto out;
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	}
	if (ldns_pkt2wire(&wire, p, len) != LDNS_STATUS_OK)
		wire = NULL;
out:
	ldns_pkt_free(p);
	return wire;
}

static int
mx_of(const struct pkt_spec *spec, const char *domain, struct dns_mx_set *set,
    char *alias, size_t aliassz, struct failure *f)
{
	uint8_t *wire;
	size_t len = 0;
	int rc;

	failure_clear(f);
	if ((wire = build(spec, &len)) == NULL)
		return -99;
	rc = dns_mx_from_wire(wire, len, domain, set, alias, aliassz, f);
	free(wire);
	return rc;
}

static int
addrs_of(const struct pkt_spec *spec, const char *name, int family,
    struct dns_addr_list *list, char *alias, size_t aliassz,
    struct failure *f)
{
	uint8_t *wire;
	size_t len = 0;
	int rc;

	failure_clear(f);
	if ((wire = build(spec, &len)) == NULL)
		return -99;
	rc = dns_addresses_from_wire(wire, len, name, family, list, alias,
	    aliassz, f);
	free(wire);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Pure helpers                                                         */

TEST(ip_literals)
{
	struct dns_addr a;

	CHECK(dns_parse_ip_literal("192.0.2.1", &a) == 0);
	CHECK(a.family == AF_INET);
	CHECK_STR(a.text, "192.0.2.1");
	CHECK(a.salen == sizeof(struct sockaddr_in));
	CHECK(((struct sockaddr_in *)&a.sa)->sin_port == 0);

	CHECK(dns_parse_ip_literal("2001:DB8::1", &a) == 0);
	CHECK(a.family == AF_INET6);
	CHECK_STR(a.text, "2001:db8::1");
	CHECK(a.salen == sizeof(struct sockaddr_in6));

	CHECK(dns_parse_ip_literal("[2001:db8::1]", &a) == 0);
	CHECK_STR(a.text, "2001:db8::1");
	CHECK(dns_parse_ip_literal("[IPv6:::1]", &a) == 0);
	CHECK_STR(a.text, "::1");
	CHECK(dns_parse_ip_literal("[192.0.2.7]", &a) == 0);
	CHECK(a.family == AF_INET);

	CHECK(dns_parse_ip_literal("sut.test", &a) == -1);
	CHECK(dns_parse_ip_literal("1.2.3", &a) == -1);
	CHECK(dns_parse_ip_literal("", &a) == -1);
	CHECK(dns_parse_ip_literal("[]", &a) == -1);
	CHECK(dns_parse_ip_literal("[::1", &a) == -1);
	CHECK(dns_parse_ip_literal("[IPv6:192.0.2.1]", &a) == -1);
	CHECK(dns_parse_ip_literal("fe80::1%eth0", &a) == -1);
	CHECK(dns_parse_ip_literal(NULL, &a) == -1);
}

TEST(addr_set_port)
{
	struct dns_addr a;

	CHECK(dns_parse_ip_literal("127.0.0.1", &a) == 0);
	dns_addr_set_port(&a, 2525);
	CHECK(ntohs(((struct sockaddr_in *)&a.sa)->sin_port) == 2525);
	CHECK(dns_parse_ip_literal("::1", &a) == 0);
	dns_addr_set_port(&a, 25);
	CHECK(ntohs(((struct sockaddr_in6 *)&a.sa)->sin6_port) == 25);
}

TEST(parse_server_good)
{
	char addr[64], why[128];
	int port;

	CHECK(dns_parse_server("127.0.0.1", addr, sizeof(addr), &port, why,
	    sizeof(why)) == 0);
	CHECK_STR(addr, "127.0.0.1");
	CHECK(port == 53);
	CHECK(dns_parse_server("127.0.0.1:5300", addr, sizeof(addr), &port,
	    why, sizeof(why)) == 0);
	CHECK_STR(addr, "127.0.0.1");
	CHECK(port == 5300);
	CHECK(dns_parse_server("::1", addr, sizeof(addr), &port, why,
	    sizeof(why)) == 0);
	CHECK_STR(addr, "::1");
	CHECK(port == 53);
	CHECK(dns_parse_server("[::1]:5300", addr, sizeof(addr), &port, why,
	    sizeof(why)) == 0);
	CHECK_STR(addr, "::1");
	CHECK(port == 5300);
	CHECK(dns_parse_server("[::1]", addr, sizeof(addr), &port, why,
	    sizeof(why)) == 0);
	CHECK(port == 53);
	CHECK(dns_parse_server("2001:db8:0::53", addr, sizeof(addr), &port,
	    why, sizeof(why)) == 0);
	CHECK_STR(addr, "2001:db8::53");
}

static int
server_why(const char *s, const char *want)
{
	char addr[64], why[128];
	int port;

	why[0] = '\0';
	if (dns_parse_server(s, addr, sizeof(addr), &port, why,
	    sizeof(why)) != -1)
		return 0;
	return strstr(why, want) != NULL;
}

TEST(parse_server_bad)
{
	CHECK(server_why("", "empty"));
	CHECK(server_why(NULL, "empty"));
	CHECK(server_why("127.0.0.1:0", "bad port"));
	CHECK(server_why("127.0.0.1:65536", "bad port"));
	CHECK(server_why("127.0.0.1:", "bad port"));
	CHECK(server_why("127.0.0.1:53x", "bad port"));
	CHECK(server_why("[::1]:-1", "bad port"));
	CHECK(server_why("dns.example", "host names are not allowed"));
	CHECK(server_why("localhost:53", "host names are not allowed"));
	CHECK(server_why("999.1.1.1", "not an IPv4 or IPv6 address"));
	CHECK(server_why("1.2.3", "not an IPv4 or IPv6 address"));
	CHECK(server_why("[::1", "missing ']'"));
	CHECK(server_why("[::1]53", "':PORT'"));
	CHECK(server_why("[]:53", "empty address"));
	CHECK(server_why(":53", "empty address"));
	CHECK(server_why("fe80::1%eth0", "scope"));
}

TEST(resolver_new_bad_server)
{
	struct failure f;
	struct dns_resolver *r;

	failure_clear(&f);
	r = dns_resolver_new("ns.example:53", &f);
	CHECK(r == NULL);
	CHECK(f.class == FAIL_USAGE);
	CHECK_STR(f.stage, "dns");
	CHECK(strstr(f.message, "ns.example:53") != NULL);
	CHECK(strstr(f.message, "must be an IP address") != NULL);

	failure_clear(&f);
	r = dns_resolver_new("127.0.0.1:5300", &f);
	CHECK(r != NULL);
	CHECK(f.class == FAIL_NONE);
	dns_resolver_free(r);
	r = dns_resolver_new("[::1]:5300", &f);
	CHECK(r != NULL);
	dns_resolver_free(r);
	dns_resolver_free(NULL);
}

TEST(temporary_or_not)
{
	struct failure f;

	failure_clear(&f);
	failure_set(&f, FAIL_TIMEOUT, "dns", "x");
	CHECK(dns_failure_is_temporary(&f));
	failure_set(&f, FAIL_DNS, "dns", "x");
	f.code = 3;
	CHECK(!dns_failure_is_temporary(&f));
	f.code = DNS_CODE_NODATA;
	CHECK(!dns_failure_is_temporary(&f));
	f.code = DNS_CODE_NULLMX;
	CHECK(!dns_failure_is_temporary(&f));
	f.code = DNS_CODE_CNAME_LOOP;
	CHECK(!dns_failure_is_temporary(&f));
	f.code = 2;
	CHECK(dns_failure_is_temporary(&f));
	f.code = 5;
	CHECK(dns_failure_is_temporary(&f));
	f.code = DNS_CODE_MALFORMED;
	CHECK(dns_failure_is_temporary(&f));
	f.code = DNS_CODE_NETWORK;
	CHECK(dns_failure_is_temporary(&f));
	failure_set(&f, FAIL_USAGE, "dns", "x");
	f.code = 0;
	CHECK(!dns_failure_is_temporary(&f));
}

/* ------------------------------------------------------------------ */
/* MX answers                                                           */

TEST(mx_sorted_by_preference)
{
	struct pkt_spec s = { "sut.test. IN MX", 0, 0, {
		"sut.test. IN MX 20 mx2.sut.test.",
		"sut.test. IN MX 10 mx1.sut.test.",
		"other.test. IN MX 1 not-ours.test.",
		"sut.test. IN A 192.0.2.1",
		NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;
	char alias[DNS_NAME_MAX];

	CHECK(mx_of(&s, "sut.test", &set, alias, sizeof(alias), &f) == 0);
	CHECK(set.n == 2);
	CHECK(!set.implicit);
	CHECK_STR(set.mx[0].host, "mx1.sut.test");
	CHECK(set.mx[0].preference == 10);
	CHECK_STR(set.mx[1].host, "mx2.sut.test");
	CHECK(set.mx[1].preference == 20);
	CHECK(set.mx[0].addrs.n == 0);
	CHECK_STR(alias, "");
}

TEST(mx_ties_keep_answer_order)
{
	struct pkt_spec s = { "sut.test. IN MX", 0, 0, {
		"sut.test. IN MX 10 b.sut.test.",
		"sut.test. IN MX 10 a.sut.test.",
		"sut.test. IN MX 5 c.sut.test.",
		"sut.test. IN MX 10 d.sut.test.",
		NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;

	CHECK(mx_of(&s, "sut.test.", &set, NULL, 0, &f) == 0);
	CHECK(set.n == 4);
	CHECK_STR(set.mx[0].host, "c.sut.test");
	CHECK_STR(set.mx[1].host, "b.sut.test");
	CHECK_STR(set.mx[2].host, "a.sut.test");
	CHECK_STR(set.mx[3].host, "d.sut.test");
}

TEST(mx_dedup_keeps_best)
{
	struct pkt_spec s = { "sut.test. IN MX", 0, 0, {
		"sut.test. IN MX 20 a.sut.test.",
		"sut.test. IN MX 15 b.sut.test.",
		"sut.test. IN MX 10 A.SUT.test.",
		"sut.test. IN MX 15 b.sut.test.",
		NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;

	CHECK(mx_of(&s, "sut.test", &set, NULL, 0, &f) == 0);
	CHECK(set.n == 2);
	CHECK(strcasecmp(set.mx[0].host, "a.sut.test") == 0);
	CHECK(set.mx[0].preference == 10);
	CHECK_STR(set.mx[1].host, "b.sut.test");
}

TEST(mx_bounded_keeps_best)
{
	static char lines[24][64];
	struct pkt_spec s = { "sut.test. IN MX", 0, 0, { NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;
	int i;

	for (i = 0; i < 24; i++) {
		snprintf(lines[i], sizeof(lines[i]),
		    "sut.test. IN MX %d mx%02d.sut.test.", 100 - i, i);
		s.answer[i] = lines[i];
	}
	CHECK(mx_of(&s, "sut.test", &set, NULL, 0, &f) == 0);
	CHECK(set.n == DNS_MX_MAX);
	CHECK(set.mx[0].preference == 77);
	CHECK_STR(set.mx[0].host, "mx23.sut.test");
	CHECK(set.mx[DNS_MX_MAX - 1].preference == 92);
}

TEST(mx_null_mx)
{
	struct pkt_spec s = { "nullmx.test. IN MX", 0, 0, {
		"nullmx.test. IN MX 0 .", NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;

	CHECK(mx_of(&s, "nullmx.test", &set, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_DNS);
	CHECK(f.code == DNS_CODE_NULLMX);
	CHECK_STR(f.stage, "dns");
	CHECK_STR(f.host, "nullmx.test");
	CHECK_STR(f.message,
	    "nullmx.test does not accept mail (null MX, RFC 7505)");
	CHECK(!dns_failure_is_temporary(&f));
	CHECK(set.n == 0);
}

TEST(mx_null_mx_next_to_real_is_ignored)
{
	struct pkt_spec s = { "sut.test. IN MX", 0, 0, {
		"sut.test. IN MX 0 .",
		"sut.test. IN MX 10 mx1.sut.test.", NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;

	CHECK(mx_of(&s, "sut.test", &set, NULL, 0, &f) == 0);
	CHECK(set.n == 1);
	CHECK_STR(set.mx[0].host, "mx1.sut.test");
}

TEST(mx_nodata_is_implicit)
{
	struct pkt_spec s = { "sut.test. IN MX", 0, 0, { NULL }, {
		"test. IN SOA ns.test. host.test. 1 3600 600 86400 300",
		NULL } };
	struct dns_mx_set set;
	struct failure f;

	CHECK(mx_of(&s, "sut.test.", &set, NULL, 0, &f) == 0);
	CHECK(set.n == 1);
	CHECK(set.implicit == 1);
	CHECK_STR(set.mx[0].host, "sut.test");
	CHECK(set.mx[0].preference == 0);
}

TEST(mx_nxdomain)
{
	struct pkt_spec s = { "sut.test. IN MX", 3, 0, { NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;

	CHECK(mx_of(&s, "sut.test", &set, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_DNS);
	CHECK(f.code == 3);
	CHECK_STR(f.reply, "NXDOMAIN");
	CHECK_STR(f.host, "sut.test");
	CHECK_STR(f.message, "sut.test does not exist (NXDOMAIN)");
	CHECK(!dns_failure_is_temporary(&f));
}

TEST(mx_servfail_refused_are_temporary)
{
	struct pkt_spec s = { "sut.test. IN MX", 2, 0, { NULL }, { NULL } };
	struct pkt_spec r = { NULL, 5, 0, { NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;

	CHECK(mx_of(&s, "sut.test", &set, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_DNS);
	CHECK(f.code == 2);
	CHECK(strstr(f.message, "SERVFAIL") != NULL);
	CHECK(strstr(f.message, "temporary") != NULL);
	CHECK(dns_failure_is_temporary(&f));

	/* REFUSED without a question section is still understood */
	CHECK(mx_of(&r, "sut.test", &set, NULL, 0, &f) == -1);
	CHECK(f.code == 5);
	CHECK(strstr(f.message, "REFUSED") != NULL);
	CHECK(dns_failure_is_temporary(&f));
}

TEST(mx_cname_in_answer)
{
	struct pkt_spec s = { "alias.test. IN MX", 0, 0, {
		"alias.test. IN CNAME sut.test.",
		"sut.test. IN MX 10 mx1.sut.test.",
		"alias.test. IN MX 1 wrong-owner-after-cname.test.",
		NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;
	char alias[DNS_NAME_MAX];

	/* records at a name that is also a CNAME: the chain wins */
	CHECK(mx_of(&s, "alias.test", &set, alias, sizeof(alias), &f) == 0);
	CHECK(set.n == 1);
	CHECK_STR(set.mx[0].host, "mx1.sut.test");
	CHECK_STR(alias, "");
}

TEST(mx_cname_only_gives_alias)
{
	struct pkt_spec s = { "alias.test. IN MX", 0, 0, {
		"alias.test. IN CNAME mid.test.",
		"mid.test. IN CNAME sut.test.", NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;
	char alias[DNS_NAME_MAX];

	CHECK(mx_of(&s, "alias.test", &set, alias, sizeof(alias), &f) == 0);
	CHECK(set.n == 0);
	CHECK_STR(alias, "sut.test");
	/* without room for an alias it counts as no MX: implicit */
	CHECK(mx_of(&s, "alias.test", &set, NULL, 0, &f) == 0);
	CHECK(set.implicit && set.n == 1);
	CHECK_STR(set.mx[0].host, "alias.test");
}

TEST(mx_cname_loop)
{
	struct pkt_spec s = { "a.test. IN MX", 0, 0, {
		"a.test. IN CNAME b.test.",
		"b.test. IN CNAME a.test.", NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;
	char alias[DNS_NAME_MAX];

	CHECK(mx_of(&s, "a.test", &set, alias, sizeof(alias), &f) == -1);
	CHECK(f.class == FAIL_DNS);
	CHECK(f.code == DNS_CODE_CNAME_LOOP);
	CHECK(!dns_failure_is_temporary(&f));
}

TEST(mx_wrong_question_or_not_a_response)
{
	struct pkt_spec s = { "other.test. IN MX", 0, 0, {
		"other.test. IN MX 10 mx.other.test.", NULL }, { NULL } };
	struct pkt_spec t = { "sut.test. IN A", 0, 0, { NULL }, { NULL } };
	struct pkt_spec q = { "sut.test. IN MX", 0, -1, { NULL }, { NULL } };
	struct pkt_spec n = { NULL, 0, 0, { NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;

	CHECK(mx_of(&s, "sut.test", &set, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_DNS && f.code == DNS_CODE_MALFORMED);
	CHECK(strstr(f.message, "different question") != NULL);
	CHECK(dns_failure_is_temporary(&f));
	CHECK(mx_of(&t, "sut.test", &set, NULL, 0, &f) == -1);
	CHECK(f.code == DNS_CODE_MALFORMED);
	CHECK(mx_of(&q, "sut.test", &set, NULL, 0, &f) == -1);
	CHECK(f.code == DNS_CODE_MALFORMED);
	CHECK(strstr(f.message, "not a response") != NULL);
	CHECK(mx_of(&n, "sut.test", &set, NULL, 0, &f) == -1);
	CHECK(f.code == DNS_CODE_MALFORMED);
}

TEST(mx_referral_is_not_nodata)
{
	struct pkt_spec s = { "sut.test. IN MX", 0, 0, { NULL }, {
		"test. IN NS ns1.test.", NULL } };
	struct dns_mx_set set;
	struct failure f;

	CHECK(mx_of(&s, "sut.test", &set, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_DNS && f.code == DNS_CODE_MALFORMED);
	CHECK(strstr(f.message, "referral") != NULL);
}

TEST(mx_garbage_wire)
{
	struct pkt_spec s = { "sut.test. IN MX", 0, 0, {
		"sut.test. IN MX 10 mx1.sut.test.", NULL }, { NULL } };
	static const uint8_t junk[] = "\x12\x34\x81\x80\x00\x01\x00\x01"
	    "\x00\x00\x00\x00\x03sut";
	struct dns_mx_set set;
	struct failure f;
	uint8_t *wire;
	size_t len = 0, cut;

	CHECK((wire = build(&s, &len)) != NULL);
	/* every truncation of a good answer fails cleanly */
	for (cut = 0; wire != NULL && cut < len; cut++) {
		failure_clear(&f);
		CHECK(dns_mx_from_wire(wire, cut, "sut.test", &set, NULL, 0,
		    &f) == -1);
		CHECK(f.class == FAIL_DNS);
		CHECK(f.code == DNS_CODE_MALFORMED);
		CHECK(set.n == 0);
	}
	free(wire);
	failure_clear(&f);
	CHECK(dns_mx_from_wire(junk, sizeof(junk) - 1, "sut.test", &set,
	    NULL, 0, &f) == -1);
	CHECK(f.code == DNS_CODE_MALFORMED);
	CHECK(dns_mx_from_wire(NULL, 0, "sut.test", &set, NULL, 0, &f) == -1);
	CHECK(f.code == DNS_CODE_MALFORMED);
}

TEST(mx_bad_names)
{
	struct pkt_spec s = { "sut.test. IN MX", 0, 0, { NULL }, { NULL } };
	struct dns_mx_set set;
	struct failure f;
	char longname[300];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(mx_of(&s, "", &set, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_USAGE);
	CHECK(mx_of(&s, "a..test", &set, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_USAGE);
	CHECK(mx_of(&s, "sut.test\r\nRCPT", &set, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_USAGE);
	CHECK(strchr(f.message, '\r') == NULL);
	CHECK(strchr(f.host, '\n') == NULL);
	CHECK(mx_of(&s, longname, &set, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_USAGE);
	CHECK(mx_of(&s, NULL, &set, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_USAGE);
}

/* ------------------------------------------------------------------ */
/* Address answers                                                      */

TEST(addrs_by_family)
{
	struct pkt_spec s6 = { "mx1.sut.test. IN AAAA", 0, 0, {
		"mx1.sut.test. IN AAAA 2001:db8::25",
		"mx1.sut.test. IN A 192.0.2.25",	/* not asked */
		"mx1.sut.test. IN AAAA 2001:db8::26",
		"mx1.sut.test. IN AAAA 2001:db8::25",	/* duplicate */
		NULL }, { NULL } };
	struct pkt_spec s4 = { "mx1.sut.test. IN A", 0, 0, {
		"mx1.sut.test. IN A 192.0.2.25", NULL }, { NULL } };
	struct dns_addr_list l;
	struct failure f;

	CHECK(addrs_of(&s6, "mx1.sut.test", AF_INET6, &l, NULL, 0, &f) == 0);
	CHECK(l.n == 2);
	CHECK(l.addr[0].family == AF_INET6);
	CHECK_STR(l.addr[0].text, "2001:db8::25");
	CHECK_STR(l.addr[1].text, "2001:db8::26");
	CHECK(l.addr[0].salen == sizeof(struct sockaddr_in6));
	CHECK(((struct sockaddr_in6 *)&l.addr[0].sa)->sin6_port == 0);

	CHECK(addrs_of(&s4, "mx1.sut.test", AF_INET, &l, NULL, 0, &f) == 0);
	CHECK(l.n == 1);
	CHECK(l.addr[0].family == AF_INET);
	CHECK_STR(l.addr[0].text, "192.0.2.25");
	CHECK(((struct sockaddr_in *)&l.addr[0].sa)->sin_family == AF_INET);

	/* the answer to an AAAA question cannot be read as an A answer */
	CHECK(addrs_of(&s6, "mx1.sut.test", AF_INET, &l, NULL, 0, &f) == -1);
	CHECK(f.code == DNS_CODE_MALFORMED);
}

TEST(addrs_cname_chain)
{
	struct pkt_spec s = { "www.sut.test. IN A", 0, 0, {
		"www.sut.test. IN CNAME c1.sut.test.",
		"c1.sut.test. IN CNAME c2.sut.test.",
		"c2.sut.test. IN A 192.0.2.80",
		"www.sut.test. IN A 192.0.2.99",	/* not on the chain end */
		NULL }, { NULL } };
	struct pkt_spec only = { "www.sut.test. IN A", 0, 0, {
		"www.sut.test. IN CNAME c1.sut.test.", NULL }, { NULL } };
	struct pkt_spec nx = { "www.sut.test. IN A", 3, 0, {
		"www.sut.test. IN CNAME gone.sut.test.", NULL }, { NULL } };
	struct dns_addr_list l;
	struct failure f;
	char alias[DNS_NAME_MAX];

	CHECK(addrs_of(&s, "www.sut.test", AF_INET, &l, alias, sizeof(alias),
	    &f) == 0);
	CHECK(l.n == 1);
	CHECK_STR(l.addr[0].text, "192.0.2.80");
	CHECK_STR(alias, "");

	CHECK(addrs_of(&only, "www.sut.test", AF_INET, &l, alias,
	    sizeof(alias), &f) == 0);
	CHECK(l.n == 0);
	CHECK_STR(alias, "c1.sut.test");

	CHECK(addrs_of(&nx, "www.sut.test", AF_INET, &l, alias, sizeof(alias),
	    &f) == -1);
	CHECK(f.code == 3);
	CHECK_STR(f.message, "www.sut.test is an alias for gone.sut.test, "
	    "which does not exist (NXDOMAIN)");
}

TEST(addrs_nodata)
{
	struct pkt_spec s = { "mx1.sut.test. IN AAAA", 0, 0, { NULL }, {
		NULL } };
	struct dns_addr_list l;
	struct failure f;

	CHECK(addrs_of(&s, "mx1.sut.test", AF_INET6, &l, NULL, 0, &f) == -1);
	CHECK(f.class == FAIL_DNS);
	CHECK(f.code == DNS_CODE_NODATA);
	CHECK_STR(f.message, "mx1.sut.test has no AAAA records");
	CHECK(!dns_failure_is_temporary(&f));
}

TEST(addrs_bounded)
{
	static char lines[24][64];
	struct pkt_spec s = { "many.test. IN A", 0, 0, { NULL }, { NULL } };
	struct dns_addr_list l;
	struct failure f;
	int i;

	for (i = 0; i < 24; i++) {
		snprintf(lines[i], sizeof(lines[i]),
		    "many.test. IN A 192.0.2.%d", i + 1);
		s.answer[i] = lines[i];
	}
	CHECK(addrs_of(&s, "many.test", AF_INET, &l, NULL, 0, &f) == 0);
	CHECK(l.n == DNS_ADDR_MAX);
	CHECK_STR(l.addr[0].text, "192.0.2.1");
}

TEST(addrs_garbage_wire)
{
	struct pkt_spec s = { "mx1.sut.test. IN A", 0, 0, {
		"mx1.sut.test. IN A 192.0.2.25", NULL }, { NULL } };
	struct dns_addr_list l;
	struct failure f;
	uint8_t *wire;
	size_t len = 0, cut;

	CHECK((wire = build(&s, &len)) != NULL);
	for (cut = 0; wire != NULL && cut < len; cut++) {
		failure_clear(&f);
		CHECK(dns_addresses_from_wire(wire, cut, "mx1.sut.test",
		    AF_INET, &l, NULL, 0, &f) == -1);
		CHECK(f.code == DNS_CODE_MALFORMED);
	}
	/* a flipped byte in the middle must not crash or leak */
	for (cut = 12; wire != NULL && cut < len; cut++) {
		uint8_t save = wire[cut];

		wire[cut] ^= 0xff;
		failure_clear(&f);
		(void)dns_addresses_from_wire(wire, len, "mx1.sut.test",
		    AF_INET, &l, NULL, 0, &f);
		CHECK(l.n <= DNS_ADDR_MAX);
		wire[cut] = save;
	}
	free(wire);
}

/* ------------------------------------------------------------------ */
/* Lookups that never reach the network                                 */

TEST(lookups_without_queries)
{
	struct dns_resolver *r;
	struct dns_addr_list l;
	struct dns_mx_set set;
	struct failure f;
	struct deadline dl = deadline_in(1000);

	failure_clear(&f);
	/* port 9 (discard): nothing below may send anything there */
	CHECK((r = dns_resolver_new("127.0.0.1:9", &f)) != NULL);
	if (r == NULL)
		return;

	CHECK(dns_addresses(r, "192.0.2.1", AF_UNSPEC, &dl, &l, &f) == 0);
	CHECK(l.n == 1 && l.addr[0].family == AF_INET);
	CHECK(dns_addresses(r, "[IPv6:2001:db8::1]", AF_INET6, &dl, &l,
	    &f) == 0);
	CHECK(l.n == 1 && l.addr[0].family == AF_INET6);
	failure_clear(&f);
	CHECK(dns_addresses(r, "::1", AF_INET, &dl, &l, &f) == -1);
	CHECK(f.class == FAIL_USAGE);
	CHECK(strstr(f.message, "-4") != NULL);
	CHECK(dns_addresses(r, "[not-an-ip]", AF_UNSPEC, &dl, &l, &f) == -1);
	CHECK(f.class == FAIL_USAGE);
	CHECK(dns_addresses(r, "bad..name", AF_UNSPEC, &dl, &l, &f) == -1);
	CHECK(f.class == FAIL_USAGE);

	CHECK(dns_mx(r, "[192.0.2.1]", &dl, &set, &f) == 0);
	CHECK(set.n == 1 && set.implicit);
	CHECK_STR(set.mx[0].host, "[192.0.2.1]");
	CHECK(dns_mx(r, "", &dl, &set, &f) == -1);
	CHECK(f.class == FAIL_USAGE);

	/* no time left: a timeout at once, without sending */
	dl = deadline_in(0);
	failure_clear(&f);
	CHECK(dns_mx(r, "sut.test", &dl, &set, &f) == -1);
	CHECK(f.class == FAIL_TIMEOUT);
	CHECK_STR(f.stage, "dns");
	CHECK_STR(f.host, "sut.test");
	CHECK(strstr(f.message, "127.0.0.1:9") != NULL);
	CHECK(dns_failure_is_temporary(&f));
	failure_clear(&f);
	CHECK(dns_addresses(r, "sut.test", AF_UNSPEC, &dl, &l, &f) == -1);
	CHECK(f.class == FAIL_TIMEOUT);
	CHECK(strstr(f.message, "AAAA") != NULL);
	CHECK(strstr(f.message, "; A: ") != NULL);
	dns_resolver_free(r);
}

int
main(void)
{
	RUN(ip_literals);
	RUN(addr_set_port);
	RUN(parse_server_good);
	RUN(parse_server_bad);
	RUN(resolver_new_bad_server);
	RUN(temporary_or_not);
	RUN(mx_sorted_by_preference);
	RUN(mx_ties_keep_answer_order);
	RUN(mx_dedup_keeps_best);
	RUN(mx_bounded_keeps_best);
	RUN(mx_null_mx);
	RUN(mx_null_mx_next_to_real_is_ignored);
	RUN(mx_nodata_is_implicit);
	RUN(mx_nxdomain);
	RUN(mx_servfail_refused_are_temporary);
	RUN(mx_cname_in_answer);
	RUN(mx_cname_only_gives_alias);
	RUN(mx_cname_loop);
	RUN(mx_wrong_question_or_not_a_response);
	RUN(mx_referral_is_not_nodata);
	RUN(mx_garbage_wire);
	RUN(mx_bad_names);
	RUN(addrs_by_family);
	RUN(addrs_cname_chain);
	RUN(addrs_nodata);
	RUN(addrs_bounded);
	RUN(addrs_garbage_wire);
	RUN(lookups_without_queries);
	return harness_exit();
}
