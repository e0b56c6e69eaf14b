/*
 * plan.c - the ordered delivery targets for a run.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "plan.h"
#include "util.h"

int
plan_needs_dns(const struct options *o)
{
	struct dns_addr literal;

	return o->mode != MODE_DIRECT ||
	    dns_parse_ip_literal(o->server, &literal) == -1;
}

/* Direct: the --server as given; a name's addresses, never its MX. */
static int
plan_direct(const struct options *o, struct dns_resolver *res,
    const struct deadline *dl, struct plan *plan, struct failure *err)
{
	struct dns_mx *host = &plan->hosts.mx[0];

	copy_string(host->host, sizeof(host->host), o->server);
	plan->hosts.n = 1;
	if (dns_parse_ip_literal(o->server, &host->addrs.addr[0]) == 0) {
		host->addrs.n = 1;
		return 0;
	}
	return dns_addresses(res, o->server, o->family, dl, &host->addrs,
	    err);
}

/* A uniform random number below n (n > 0), from OpenSSL's CSPRNG. */
static size_t
random_below(size_t n)
{
	unsigned int r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (unsigned int)getpid();
	return (size_t)(r % n);
}

static int
by_host_name(const void *a, const void *b)
{
	return ascii_casecmp(((const struct dns_mx *)a)->host,
	    ((const struct dns_mx *)b)->host);
}

/* How many hosts at the front of a sorted set share the best preference. */
static size_t
best_group(const struct dns_mx_set *set)
{
	size_t n = 1;

	while (n < set->n && set->mx[n].preference == set->mx[0].preference)
		n++;
	return n;
}

static int
mkdir_p(char *path)
{
	char *p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

static int
default_state_dir(char *out, size_t outsz)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (xdg != NULL && xdg[0] == '/')
		snprintf(out, outsz, "%s/mailive", xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(out, outsz, "%s/.local/state/mailive", home);
	else
		return -1;
	return 0;
}

long
plan_rotation_next(const char *state_dir, const char *domain, char *why,
    size_t whysz)
{
	char dir[1024], path[1400], buf[32];
	long counter = 0;
	ssize_t n;
	int fd;

	if (state_dir != NULL)
		copy_string(dir, sizeof(dir), state_dir);
	else if (default_state_dir(dir, sizeof(dir)) == -1) {
		snprintf(why, whysz, "neither XDG_STATE_HOME nor HOME is set");
		return -1;
	}
	if (mkdir_p(dir) == -1) {
		snprintf(why, whysz, "cannot create %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/rotation-%s", dir, domain);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(why, whysz, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	/* One run at a time reads and bumps the counter. */
	if (flock(fd, LOCK_EX) == -1) {
		snprintf(why, whysz, "cannot lock %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		counter = (long)parse_uint(buf, 0, 1L << 30);
		if (counter < 0)
			counter = 0;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (counter + 1) % (1L << 30));
	if (pwrite(fd, buf, (size_t)n, 0) != n || ftruncate(fd, n) == -1) {
		snprintf(why, whysz, "cannot write %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return counter;
}

/*
 * Primary MX: the best-preference group only; when several hosts share
 * it, rotate across runs.  The group is sorted by name first, so the
 * rotation does not depend on the order of the DNS answer.
 */
static void
choose_primary(const struct options *o, const char *domain,
    struct plan *plan)
{
	size_t group = best_group(&plan->mx_seen), pick = 0;
	struct dns_mx sorted[DNS_MX_MAX];
	char why[512];
	long next;

	memcpy(sorted, plan->mx_seen.mx, group * sizeof(sorted[0]));
	qsort(sorted, group, sizeof(sorted[0]), by_host_name);
	if (group > 1) {
		next = plan_rotation_next(o->state_dir, domain, why,
		    sizeof(why));
		if (next >= 0) {
			pick = (size_t)next % group;
			snprintf(plan->note, sizeof(plan->note), "round-robin: "
			    "host %zu of %zu with preference %d", pick + 1,
			    group, sorted[0].preference);
		} else {
			pick = random_below(group);
			plan->rotation_random = 1;
			snprintf(plan->note, sizeof(plan->note), "random pick "
			    "among %zu hosts with preference %d (no rotation "
			    "state: %s)", group, sorted[0].preference, why);
			if (o->verbose)
				fprintf(stderr, "mailive: %s\n", plan->note);
		}
	} else
		snprintf(plan->note, sizeof(plan->note), "the only host with "
		    "the lowest preference (%d)", sorted[0].preference);
	plan->hosts.mx[0] = sorted[pick];
	plan->hosts.n = 1;
}

/* Failover: every host by preference, ties in random order. */
static void
order_failover(struct plan *plan)
{
	size_t start = 0, i;

	plan->hosts = plan->mx_seen;
	while (start < plan->hosts.n) {
		size_t end = start + 1;

		while (end < plan->hosts.n && plan->hosts.mx[end].preference ==
		    plan->hosts.mx[start].preference)
			end++;
		for (i = end - 1; i > start; i--) {	/* Fisher-Yates */
			size_t j = start + random_below(i - start + 1);
			struct dns_mx tmp = plan->hosts.mx[i];

			plan->hosts.mx[i] = plan->hosts.mx[j];
			plan->hosts.mx[j] = tmp;
		}
		start = end;
	}
	snprintf(plan->note, sizeof(plan->note), "%zu host%s by preference, "
	    "equal preferences in random order", plan->hosts.n,
	    plan->hosts.n == 1 ? "" : "s");
}

/* Resolve each planned host; keep failures per host for failover. */
static int
resolve_hosts(const struct options *o, struct dns_resolver *res,
    const struct deadline *dl, struct plan *plan, struct failure *err)
{
	size_t i, resolved = 0;

	for (i = 0; i < plan->hosts.n; i++) {
		struct dns_mx *h = &plan->hosts.mx[i];

		failure_clear(&plan->lookup[i]);
		if (dns_addresses(res, h->host, o->family, dl, &h->addrs,
		    &plan->lookup[i]) == 0)
			resolved++;
		else
			h->addrs.n = 0;
	}
	if (resolved == 0) {	/* the last host's reason stands for all */
		*err = plan->lookup[plan->hosts.n - 1];
		return -1;
	}
	return 0;
}

/* Copy the addresses found for planned hosts back into the MX set seen. */
static void
share_addresses(struct plan *plan)
{
	size_t i, j;

	for (i = 0; i < plan->mx_seen.n; i++)
		for (j = 0; j < plan->hosts.n; j++)
			if (ascii_casecmp(plan->mx_seen.mx[i].host,
			    plan->hosts.mx[j].host) == 0)
				plan->mx_seen.mx[i].addrs =
				    plan->hosts.mx[j].addrs;
}

int
plan_build(const struct options *o, struct dns_resolver *res,
    const struct deadline *dl, struct plan *plan, struct failure *err)
{
	const char *domain = strrchr(o->to, '@') + 1;
	size_t i, j;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if (o->mode == MODE_DIRECT) {
		snprintf(plan->note, sizeof(plan->note), "--server as given "
		    "(no MX lookup)");
		rc = plan_direct(o, res, dl, plan, err);
		if (rc == -1)
			plan->lookup[0] = *err;
	} else {
		plan->mx_looked_up = 1;
		if (dns_mx(res, domain, dl, &plan->mx_seen, err) == -1)
			return -1;
		if (o->mode == MODE_MX)
			choose_primary(o, domain, plan);
		else
			order_failover(plan);
		rc = resolve_hosts(o, res, dl, plan, err);
		share_addresses(plan);
	}
	if (rc == -1)
		return -1;
	for (i = 0; i < plan->hosts.n; i++)
		for (j = 0; j < plan->hosts.mx[i].addrs.n; j++)
			dns_addr_set_port(&plan->hosts.mx[i].addrs.addr[j],
			    o->port);
	return 0;
}
