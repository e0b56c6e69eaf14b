/*
 * plan.h - which hosts to deliver to, in which order, for the chosen mode.
 *
 *   direct    the --server host: an IP literal as is, a name resolved to
 *             its A/AAAA addresses; no MX lookup, ever;
 *   mx        the lowest-preference MX host only; equal preferences rotate
 *             across runs (a counter in a state file, locked with flock;
 *             at random when no state can be kept);
 *   failover  every MX host by preference, equal preferences shuffled
 *             (RFC 5321 5.1), each host's addresses in turn.
 * No MX records means the implicit MX (the domain's own addresses); a null
 * MX (RFC 7505) is a permanent failure and no connection is made.
 *
 * Error contract: 0 with at least one host in plan->hosts, or -1 with the
 * struct failure filled in (stage "dns" or "plan").  A host whose address
 * lookup failed stays in the plan with no addresses and the failure in
 * plan->lookup[i], so that failover can move past it and report it.
 */
#ifndef MAILIVE_PLAN_H
#define MAILIVE_PLAN_H

#include "dns.h"
#include "options.h"

#define PLAN_NOTE_MAX	256

struct plan {
	struct dns_mx_set	 hosts;		/* in order of use, with addresses */
	struct failure		 lookup[DNS_MX_MAX]; /* why hosts.mx[i] has none */
	int			 mx_looked_up;	/* mode mx or failover */
	struct dns_mx_set	 mx_seen;	/* the MX set DNS gave, by preference */
	char			 note[PLAN_NOTE_MAX]; /* how the host was chosen */
	int			 rotation_random; /* mx: no state could be kept */
};

/*
 * Whether the plan needs DNS at all: not for --mode direct with an IP
 * literal, which must work even where no resolver is configured.
 */
int	 plan_needs_dns(const struct options *);

/* The resolver may be NULL when plan_needs_dns() says so. */
int	 plan_build(const struct options *, struct dns_resolver *,
	    const struct deadline *, struct plan *, struct failure *);

/*
 * The next round-robin index for a group of n equal hosts of domain, from
 * a counter file in state_dir (NULL: $XDG_STATE_HOME/mailive or
 * ~/.local/state/mailive), safe under concurrent runs.  -1 with why when
 * no state can be kept.
 */
long	 plan_rotation_next(const char *state_dir, const char *domain,
	    char *why, size_t whysz);

#endif
