/*
 * fuzz_dns_wire.c - the DNS answer decoders (MX, A, AAAA) on raw wire.
 *
 * The input is a DNS response.  The name asked about is the packet's own
 * question name (so mutated answers still get past the question check and
 * reach the record handling), or "example.test" when the question cannot
 * be read; when its labels hold odd bytes the MX decoder also gets them
 * unescaped.  The same bytes go to dns_mx_from_wire() and to
 * dns_addresses_from_wire() for A, AAAA and a bad family, with alias
 * buffers of different sizes (one exactly 16 bytes, one NULL).  What they
 * fill must keep the promises of dns.h: counts within bounds, strings
 * terminated, MX sorted and deduplicated, addresses of the family asked.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <strings.h>

#include "dns.h"
#include "fuzz.h"

#define SMALL_ALIAS	16

/*
 * The question name in presentation form: labels from offset 12, every
 * byte but letters, digits, '-' and '_' as \DDD.  Compression (not used
 * in a question) or a truncated name gives the default.  raw: the bytes
 * as they are (but NUL as \000), for make_dname()'s checks.
 */
static void
question_name(const uint8_t *d, size_t size, int raw, char *out,
    size_t outsz)
{
	size_t i = 12, o = 0;

	snprintf(out, outsz, "example.test");
	if (size < 13 || d[4] != 0 || d[5] == 0)	/* QDCOUNT 0 */
		return;
	while (i < size && d[i] != 0) {
		size_t len = d[i++], j;

		if (len > 63 || i + len > size)
			goto dflt;
		for (j = 0; j < len; j++) {
			unsigned char c = d[i + j];

			if (o + 5 >= outsz)
				goto dflt;
			if (raw ? c != 0 :
			    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_')
				out[o++] = (char)c;
			else
				o += (size_t)snprintf(out + o, outsz - o,
				    "\\%03u", c);
		}
		i += len;
		if (o + 2 >= outsz)
			goto dflt;
		out[o++] = '.';
	}
	if (i >= size || o == 0)
		goto dflt;
	out[o] = '\0';
	return;
dflt:
	snprintf(out, outsz, "example.test");
}

static void
check_failure(const struct failure *f)
{
	FUZZ_ASSERT(f->class != FAIL_NONE);
	FUZZ_ASSERT(fuzz_terminated(f->stage, sizeof(f->stage)));
	FUZZ_ASSERT(strcmp(f->stage, "dns") == 0);
	FUZZ_ASSERT(fuzz_terminated(f->host, sizeof(f->host)));
	FUZZ_ASSERT(fuzz_terminated(f->address, sizeof(f->address)));
	FUZZ_ASSERT(fuzz_terminated(f->reply, sizeof(f->reply)));
	FUZZ_ASSERT(fuzz_terminated(f->message, sizeof(f->message)));
	FUZZ_ASSERT(f->message[0] != '\0');
}

/* alias: NULL, or a buffer of exactly aliassz bytes. */
static void
check_alias(int rc, size_t n, const char *alias, size_t aliassz)
{
	if (alias == NULL) {
		/* no alias to return: an answer ending at a CNAME fails */
		FUZZ_ASSERT(rc == -1 || n > 0);
		return;
	}
	FUZZ_ASSERT(fuzz_terminated(alias, aliassz));
	if (rc == 0 && n == 0)
		FUZZ_ASSERT(alias[0] != '\0');
}

static void
fuzz_mx(const uint8_t *data, size_t size, const char *name, size_t aliassz)
{
	struct dns_mx_set set;
	struct failure f;
	char *alias = aliassz > 0 ? malloc(aliassz) : NULL;
	size_t i, j;
	int rc;

	memset(&f, 0, sizeof(f));
	memset(&set, 0xa5, sizeof(set));
	rc = dns_mx_from_wire(data, size, name, &set, alias, aliassz, &f);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	FUZZ_ASSERT(set.n <= DNS_MX_MAX);
	if (rc == -1) {
		FUZZ_ASSERT(set.n == 0);
		check_failure(&f);
	}
	check_alias(rc, set.n, alias, aliassz);
	if (set.implicit)
		FUZZ_ASSERT(rc == 0 && set.n == 1 &&
		    set.mx[0].preference == 0);
	for (i = 0; i < set.n; i++) {
		const struct dns_mx *m = &set.mx[i];

		FUZZ_ASSERT(fuzz_terminated(m->host, sizeof(m->host)));
		FUZZ_ASSERT(m->host[0] != '\0');
		FUZZ_ASSERT(m->preference >= 0 && m->preference <= 65535);
		FUZZ_ASSERT(m->addrs.n == 0);
		if (i > 0)
			FUZZ_ASSERT(set.mx[i - 1].preference <= m->preference);
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcasecmp(set.mx[j].host, m->host) != 0);
	}
	free(alias);
}

static void
fuzz_addrs(const uint8_t *data, size_t size, const char *name, int family,
    size_t aliassz)
{
	struct dns_addr_list list;
	struct failure f;
	char *alias = aliassz > 0 ? malloc(aliassz) : NULL;
	unsigned char raw[sizeof(struct in6_addr)];
	size_t i, j;
	int rc;

	memset(&f, 0, sizeof(f));
	memset(&list, 0xa5, sizeof(list));
	rc = dns_addresses_from_wire(data, size, name, family, &list, alias,
	    aliassz, &f);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	FUZZ_ASSERT(list.n <= DNS_ADDR_MAX);
	if (rc == -1) {
		FUZZ_ASSERT(list.n == 0);
		check_failure(&f);
	}
	if (family != AF_INET && family != AF_INET6) {
		FUZZ_ASSERT(rc == -1);
		free(alias);
		return;
	}
	check_alias(rc, list.n, alias, aliassz);
	for (i = 0; i < list.n; i++) {
		const struct dns_addr *a = &list.addr[i];

		FUZZ_ASSERT(a->family == family);
		FUZZ_ASSERT(fuzz_terminated(a->text, sizeof(a->text)));
		FUZZ_ASSERT(inet_pton(family, a->text, raw) == 1);
		FUZZ_ASSERT(a->salen == (family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)));
		FUZZ_ASSERT(a->sa.ss_family == family);
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(list.addr[j].text, a->text) != 0);
	}
	free(alias);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[DNS_NAME_MAX + 8], raw[DNS_NAME_MAX + 8];
	/* the small alias buffer takes turns, by the input's length */
	size_t a1 = size % 2 ? SMALL_ALIAS : DNS_NAME_MAX;
	size_t a2 = size % 2 ? DNS_NAME_MAX : SMALL_ALIAS;

	question_name(data, size, 0, name, sizeof(name));
	question_name(data, size, 1, raw, sizeof(raw));
	fuzz_mx(data, size, name, a1);
	if (strcmp(raw, name) != 0)	/* dots, spaces, bytes >= 0x7f */
		fuzz_mx(data, size, raw, a2);
	fuzz_addrs(data, size, name, AF_INET, a2);
	fuzz_addrs(data, size, name, AF_INET6, 0);
	fuzz_addrs(data, size, name, AF_UNSPEC, a1);
	return 0;
}
