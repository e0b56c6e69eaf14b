/*
 * plan.h - which hosts to deliver to, in which order, for the chosen mode.
 *
 * The plan is a list of hosts (struct dns_mx_set), each with its addresses
 * in the order they are to be tried:
 *   direct    the --server host (an IP literal as is, a name resolved),
 *             no MX lookup;
 *   mx        the lowest-preference MX host only;
 *   failover  every MX host by preference.
 *
 * Error contract: 0 with a plan of at least one address, or -1 with the
 * struct failure filled in (stage "dns" or "plan").
 */
#ifndef MAILIVE_PLAN_H
#define MAILIVE_PLAN_H

#include "dns.h"
#include "options.h"

int	 plan_build(const struct options *, struct dns_resolver *,
	    const struct deadline *, struct dns_mx_set *, struct failure *);

/* Whether this build can plan that mode yet. */
int	 plan_mode_supported(enum delivery_mode);

#endif
