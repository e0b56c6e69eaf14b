/*
 * harness.h - a minimal table-free unit test harness.
 *
 * Each tests/unit/test_*.c is its own program: its main() calls RUN(fn) for
 * every test function, then returns harness_exit().  Every test prints one
 * line, "PASS name" or "FAIL name: file:line: expression", which
 * tests/run.sh counts into the closing "N passed, N failed" line.
 */
#ifndef MAILIVE_HARNESS_H
#define MAILIVE_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_failed_tests;
static int harness_current_failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		if (!harness_current_failed)				\
			printf("FAIL %s: %s:%d: %s\n", harness_name,	\
			    __FILE__, __LINE__, #cond);			\
		harness_current_failed = 1;				\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *ha_ = (a), *hb_ = (b);				\
	if (ha_ == NULL || hb_ == NULL || strcmp(ha_, hb_) != 0) {	\
		if (!harness_current_failed)				\
			printf("FAIL %s: %s:%d: \"%s\" != \"%s\"\n",	\
			    harness_name, __FILE__, __LINE__,		\
			    ha_ ? ha_ : "(null)", hb_ ? hb_ : "(null)");\
		harness_current_failed = 1;				\
	}								\
} while (0)

#define RUN(fn) do {							\
	harness_current_failed = 0;					\
	fn(#fn);							\
	if (harness_current_failed)					\
		harness_failed_tests++;					\
	else								\
		printf("PASS %s\n", #fn);				\
} while (0)

/* Test functions are declared TEST(name) and get their name as harness_name. */
#define TEST(fn) static void fn(const char *harness_name)

static inline int
harness_exit(void)
{
	return harness_failed_tests ? 1 : 0;
}

#endif
