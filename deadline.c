/* deadline.c - the run's single monotonic deadline. */
#include <limits.h>
#include <time.h>

#include "deadline.h"

static int64_t
clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mono_now_ms(void)
{
	return clock_us(CLOCK_MONOTONIC) / 1000;
}

int64_t
mono_now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

int64_t
wall_now_ms(void)
{
	return clock_us(CLOCK_REALTIME) / 1000;
}

struct deadline
deadline_in(int64_t timeout_ms)
{
	struct deadline d = { mono_now_ms() + timeout_ms };

	return d;
}

int64_t
deadline_left_ms(const struct deadline *d)
{
	int64_t left = d->end_ms - mono_now_ms();

	return left > 0 ? left : 0;
}

int
deadline_expired(const struct deadline *d)
{
	return deadline_left_ms(d) == 0;
}

int
deadline_wait_ms(const struct deadline *d, int64_t step_ms)
{
	int64_t wait = deadline_left_ms(d);

	if (step_ms > 0 && step_ms < wait)
		wait = step_ms;
	if (wait > INT_MAX)
		wait = INT_MAX;
	return (int)wait;
}
