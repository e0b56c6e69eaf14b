/*
 * deadline.h - one monotonic end time for the whole run.
 *
 * Every blocking call takes the run's deadline and waits at most what is
 * left of it, so nothing a peer does can stretch a run past --timeout.
 * All times are milliseconds of CLOCK_MONOTONIC; names carry the unit.
 */
#ifndef MAILIVE_DEADLINE_H
#define MAILIVE_DEADLINE_H

#include <stdint.h>

struct deadline {
	int64_t end_ms;		/* CLOCK_MONOTONIC time at which the run ends */
};

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t	 mono_now_ms(void);

/* Microseconds of CLOCK_MONOTONIC, for timing phases shorter than 1 ms. */
int64_t	 mono_now_us(void);

/* Milliseconds since the Unix epoch, for timestamps shown to the user. */
int64_t	 wall_now_ms(void);

/* A deadline timeout_ms from now. */
struct deadline deadline_in(int64_t timeout_ms);

/* Milliseconds left, never negative. */
int64_t	 deadline_left_ms(const struct deadline *);

/* True when no time is left. */
int	 deadline_expired(const struct deadline *);

/*
 * The wait for one step: the smaller of step_ms (<= 0 means no limit of its
 * own) and what the run has left, clamped to what poll(2) accepts.
 */
int	 deadline_wait_ms(const struct deadline *, int64_t step_ms);

#endif
