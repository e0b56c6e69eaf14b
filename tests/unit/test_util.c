/* Unit tests: display sanitizing and number parsing. */
#include "harness.h"
#include "util.h"

TEST(sanitize_keeps_one_line)
{
	char out[64];

	sanitize_copy(out, sizeof(out), "2.0.0 Ok\nqueued as X");
	CHECK_STR(out, "2.0.0 Ok queued as X");
	sanitize_copy(out, sizeof(out), "bell\a esc\x1b[2J del\x7f hi\xc3\xa9");
	CHECK_STR(out, "bell? esc?[2J del? hi??");
	sanitize_copy(out, 4, "abcdef");
	CHECK_STR(out, "abc");
}

TEST(seconds_and_integers)
{
	CHECK(parse_seconds_ms("0.25", 1000) == 250);
	CHECK(parse_seconds_ms("2", 1000) == -1);
	CHECK(parse_seconds_ms("-1", 100000) == -1);
	CHECK(parse_seconds_ms("1s", 100000) == -1);
	CHECK(parse_uint("25", 1, 65535) == 25);
	CHECK(parse_uint("0", 1, 65535) == -1);
	CHECK(parse_uint("+5", 0, 9) == -1);
}

int
main(void)
{
	RUN(sanitize_keeps_one_line);
	RUN(seconds_and_integers);
	return harness_exit();
}
