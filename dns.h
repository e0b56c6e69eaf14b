/*
 * dns.h - name lookups through ldns: MX, A and AAAA.
 *
 * Every name the probe resolves goes through one resolver, so a test DNS
 * server given with --dns-server ADDR[:PORT] is honoured for MX records and
 * for the hosts' addresses alike (glibc's resolver cannot take a port).
 * Every query is bounded by the run's deadline.
 *
 * Error contract: functions returning int give 0 on success and -1 on
 * failure with the struct failure filled in: class FAIL_DNS for an answer
 * that says "no" (NXDOMAIN, no records, null MX) - permanent - and
 * FAIL_TIMEOUT or FAIL_DNS with a "temporary" wording for SERVFAIL or silence;
 * failure->stage is "dns".  dns_failure_is_temporary() tells them apart.
 *
 * The convention in detail (failure->host is the name asked about,
 * address and port stay empty; the message names the DNS server):
 *   class         code                    temporary  meaning
 *   FAIL_DNS      3 (NXDOMAIN)            no         the name does not exist
 *   FAIL_DNS      DNS_CODE_NODATA         no         no records of the type
 *   FAIL_DNS      DNS_CODE_NULLMX         no         null MX (RFC 7505)
 *   FAIL_DNS      DNS_CODE_CNAME_LOOP     no         CNAME chain too long
 *   FAIL_DNS      2, 5, other RCODEs      yes        SERVFAIL, REFUSED, ...
 *   FAIL_DNS      DNS_CODE_MALFORMED      yes        garbage, wrong ID or
 *                                                    question, referral
 *   FAIL_DNS      DNS_CODE_NETWORK        yes        could not send, or the
 *                                                    TCP retry failed
 *   FAIL_TIMEOUT  0                       yes        no answer in time
 *   FAIL_USAGE    0                       no         bad name or server
 *   FAIL_LOCAL    0                       no         memory, resolv.conf
 * failure->code holds the answer's RCODE where there is one (so JSON
 * output shows 3 for NXDOMAIN) and failure->reply its name ("NXDOMAIN",
 * "SERVFAIL", "null MX", ...).  failure_is_temporary() knows nothing of
 * these codes (FAIL_DNS is "not temporary" there): ask
 * dns_failure_is_temporary() about failures from this module.
 */
#ifndef MAILIVE_DNS_H
#define MAILIVE_DNS_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "failure.h"

#define DNS_NAME_MAX	256
#define DNS_ADDR_MAX	16	/* addresses kept per host */
#define DNS_MX_MAX	16	/* MX hosts kept per domain */
#define DNS_CNAME_MAX	8	/* CNAMEs followed per name */

/*
 * Time per query: a try waits at most DNS_TRY_MS (or what is left, split
 * between the nameservers), at most DNS_TRIES tries, never past the
 * deadline.  A silent server costs min(deadline, DNS_TRIES * DNS_TRY_MS).
 */
#define DNS_TRY_MS	2000
#define DNS_TRIES	3

/* failure->code values of FAIL_DNS that are not DNS RCODEs (see above). */
#define DNS_CODE_NODATA		10000
#define DNS_CODE_NULLMX		10001
#define DNS_CODE_CNAME_LOOP	10002
#define DNS_CODE_MALFORMED	10003
#define DNS_CODE_NETWORK	10004

struct dns_addr {
	int			family;		/* AF_INET or AF_INET6 */
	char			text[FAIL_ADDR_MAX]; /* "192.0.2.1", "2001:db8::1" */
	struct sockaddr_storage	sa;		/* port left 0: the caller sets it */
	socklen_t		salen;
};

struct dns_addr_list {
	struct dns_addr	addr[DNS_ADDR_MAX];
	size_t		n;
};

struct dns_mx {
	char			host[DNS_NAME_MAX];	/* target, no trailing dot */
	int			preference;
	struct dns_addr_list	addrs;			/* filled by the caller */
};

struct dns_mx_set {
	struct dns_mx	mx[DNS_MX_MAX];
	size_t		n;
	int		implicit;	/* no MX: the domain itself (RFC 5321 5.1) */
};

struct dns_resolver;

/*
 * A resolver for "ADDR", "ADDR:PORT", "[V6ADDR]:PORT" or a bare IPv6
 * address; NULL or "" means the system's resolv.conf.  timeout per query is
 * taken from the deadline given to each lookup.
 */
struct dns_resolver *dns_resolver_new(const char *server, struct failure *);
void	 dns_resolver_free(struct dns_resolver *);

/*
 * The A and/or AAAA addresses of name (family AF_UNSPEC, AF_INET or
 * AF_INET6), IPv6 first when both are wanted.  CNAMEs are followed.
 * An IP literal is returned as is, without a query.  With AF_UNSPEC one
 * family failing is fine when the other has addresses; when both give
 * none the failure names both (a temporary one wins).  When both exist
 * and there are more than DNS_ADDR_MAX, IPv4 keeps up to half the slots.
 */
int	 dns_addresses(struct dns_resolver *, const char *name, int family,
	    const struct deadline *, struct dns_addr_list *, struct failure *);

/*
 * The MX set of domain, sorted by preference (ties keep the server's order;
 * callers shuffle or rotate them).  No MX records gives the implicit MX
 * (the domain itself, preference 0, implicit = 1).  A null MX (RFC 7505)
 * fails with FAIL_DNS.  Addresses are not looked up here.
 * Hosts are deduplicated (case-insensitively, keeping the best
 * preference), MX targets "." next to real ones are dropped, and only the
 * DNS_MX_MAX best are kept.  An address literal ("[192.0.2.1]") is
 * returned as its own implicit MX without a query.
 */
int	 dns_mx(struct dns_resolver *, const char *domain,
	    const struct deadline *, struct dns_mx_set *, struct failure *);

/*
 * Pure helpers (no I/O).
 * dns_parse_ip_literal: "192.0.2.1", "2001:db8::1" or "[2001:db8::1]" into
 * an address (port 0); -1 when s is not an IP literal.  The SMTP forms
 * "[192.0.2.1]" and "[IPv6:2001:db8::1]" are accepted too.
 * dns_addr_set_port: write port into the sockaddr.
 * dns_parse_server: "ADDR[:PORT]" / "[V6]:PORT" / "V6" into address text and
 * port (53 when absent); -1 with a reason in why on bad input.  addr gets
 * the canonical text (give it INET6_ADDRSTRLEN bytes); host names are
 * refused - the server must be an IP address.
 */
int	 dns_parse_ip_literal(const char *s, struct dns_addr *);
void	 dns_addr_set_port(struct dns_addr *, int port);
int	 dns_parse_server(const char *s, char *addr, size_t addrsz, int *port,
	    char *why, size_t whysz);

/*
 * Answer decoders, pure (no I/O), for tests and fuzzing: wire is a DNS
 * response to a query for domain/name of type MX (A for AF_INET, AAAA for
 * AF_INET6).  They check the response (QR, question), classify the RCODE,
 * follow CNAMEs inside the answer and fill the set or list exactly as
 * dns_mx() and dns_addresses() do; garbage or truncated wire fails
 * cleanly with DNS_CODE_MALFORMED.  When the answer ends at a CNAME with
 * no records for its target they return 0 with the target in alias
 * (set->n == 0 / list->n == 0): the caller asks again for that name.
 * alias may be NULL, then such an answer counts as having no records.
 * The message names "the DNS server" (no server is known here).
 */
int	 dns_mx_from_wire(const uint8_t *wire, size_t len, const char *domain,
	    struct dns_mx_set *, char *alias, size_t aliassz,
	    struct failure *);
int	 dns_addresses_from_wire(const uint8_t *wire, size_t len,
	    const char *name, int family, struct dns_addr_list *,
	    char *alias, size_t aliassz, struct failure *);

/*
 * True for failures another try might cure (SERVFAIL, REFUSED, timeout,
 * malformed answers); false for NXDOMAIN, no records, null MX, CNAME
 * loops.  Other classes are answered as failure_is_temporary() does.
 */
int	 dns_failure_is_temporary(const struct failure *);

#endif
