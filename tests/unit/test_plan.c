/* Unit tests: round-robin state and the queue-id extraction. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Remove a test's own temporary directory. */
static int
remove_tree(const char *dir)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}
#include "plan.h"
#include "report.h"

TEST(rotation_counts_up_per_domain)
{
	char dir[] = "/tmp/mailive-unit-XXXXXX", why[256];

	CHECK(mkdtemp(dir) != NULL);
	CHECK(plan_rotation_next(dir, "a.test", why, sizeof(why)) == 0);
	CHECK(plan_rotation_next(dir, "a.test", why, sizeof(why)) == 1);
	CHECK(plan_rotation_next(dir, "a.test", why, sizeof(why)) == 2);
	CHECK(plan_rotation_next(dir, "b.test", why, sizeof(why)) == 0);
	CHECK(remove_tree(dir) == 0);
}

TEST(rotation_creates_missing_directories)
{
	char dir[] = "/tmp/mailive-unit-XXXXXX", sub[300], why[256];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/x/y", dir);
	CHECK(plan_rotation_next(sub, "a.test", why, sizeof(why)) == 0);
	CHECK(plan_rotation_next(sub, "a.test", why, sizeof(why)) == 1);
	CHECK(remove_tree(dir) == 0);
}

TEST(rotation_without_state_says_why)
{
	char why[256] = "";

	if (geteuid() == 0)	/* root writes anywhere; use a file as dir */
		CHECK(plan_rotation_next("/dev/null/x", "a.test", why,
		    sizeof(why)) == -1);
	else
		CHECK(plan_rotation_next("/proc/none", "a.test", why,
		    sizeof(why)) == -1);
	CHECK(why[0] != '\0');
}

TEST(rotation_ignores_a_garbled_counter)
{
	char dir[] = "/tmp/mailive-unit-XXXXXX", path[300], why[256];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/rotation-a.test", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs("garbage\n", f);
		fclose(f);
	}
	CHECK(plan_rotation_next(dir, "a.test", why, sizeof(why)) == 0);
	CHECK(plan_rotation_next(dir, "a.test", why, sizeof(why)) == 1);
	CHECK(remove_tree(dir) == 0);
}

TEST(queue_id_from_common_servers)
{
	static const struct {
		const char *reply, *id;
	} cases[] = {
		{ "2.0.0 Ok: queued as 4Fq2Zs1d3Nz9", "4Fq2Zs1d3Nz9" },
		{ "OK id=1sXyZa-0001Ab-2C", "1sXyZa-0001Ab-2C" },
		{ "2.0.0 Ok: queued as ABC123.", "ABC123" },
		{ "2.6.0 Queued mail for delivery", "" },
		{ "", "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char id[64];

		report_queue_id(cases[i].reply, id, sizeof(id));
		CHECK_STR(id, cases[i].id);
	}
}

int
main(void)
{
	RUN(rotation_counts_up_per_domain);
	RUN(rotation_creates_missing_directories);
	RUN(rotation_without_state_says_why);
	RUN(rotation_ignores_a_garbled_counter);
	RUN(queue_id_from_common_servers);
	return harness_exit();
}
