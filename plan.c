/* plan.c - the ordered delivery targets for a run. */
#include <sys/socket.h>

#include <string.h>

#include "plan.h"
#include "util.h"

int
plan_mode_supported(enum delivery_mode mode)
{
	return mode == MODE_DIRECT;
}

/* Direct: the --server as given; a name's addresses, never its MX. */
static int
plan_direct(const struct options *o, struct dns_resolver *res,
    const struct deadline *dl, struct dns_mx_set *plan, struct failure *err)
{
	struct dns_mx *host = &plan->mx[0];

	memset(plan, 0, sizeof(*plan));
	copy_string(host->host, sizeof(host->host), o->server);
	plan->n = 1;
	if (dns_parse_ip_literal(o->server, &host->addrs.addr[0]) == 0) {
		host->addrs.n = 1;
		return 0;
	}
	return dns_addresses(res, o->server, AF_UNSPEC, dl, &host->addrs,
	    err);
}

int
plan_build(const struct options *o, struct dns_resolver *res,
    const struct deadline *dl, struct dns_mx_set *plan, struct failure *err)
{
	size_t i, j;

	if (o->mode != MODE_DIRECT) {
		failure_set(err, FAIL_USAGE, "plan", "--mode %s is not "
		    "implemented yet; use --mode direct --server HOST",
		    options_mode_name(o->mode));
		return -1;
	}
	if (plan_direct(o, res, dl, plan, err) == -1)
		return -1;
	for (i = 0; i < plan->n; i++)
		for (j = 0; j < plan->mx[i].addrs.n; j++)
			dns_addr_set_port(&plan->mx[i].addrs.addr[j], o->port);
	return 0;
}
