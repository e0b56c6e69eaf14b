/*
 * test_imap_poll.c - the pure helpers of imap_poll.c: imap_url_check()
 * and imap_parse_search().  The network part is tested against the lab.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../imap_poll.h"

struct url_case {
	const char	*url;
	int		 ok;
	const char	*why;	/* a part of the reason, when not ok */
};

static const struct url_case url_cases[] = {
	{ "imap://127.0.0.30/INBOX", 1, NULL },
	{ "imaps://127.0.0.30/INBOX", 1, NULL },
	{ "IMAPS://mail.example.org/INBOX", 1, NULL },
	{ "imap://return@127.0.0.30/INBOX", 1, NULL },
	{ "imap://ret%40urn@mail.example.org:1143/INBOX", 1, NULL },
	{ "imap://user@domain@mail.example.org/INBOX", 1, NULL },
	{ "imaps://[::1]:993/INBOX", 1, NULL },
	{ "imaps://[2001:db8::1]/INBOX", 1, NULL },
	{ "imap://h/INBOX/", 1, NULL },
	{ "imap://h/INBOX/probes", 1, NULL },
	{ "imap://h/Probe%20Returns", 1, NULL },
	{ "imap://h:65535/INBOX", 1, NULL },
	{ "imap://mail_1.example-2.org/INBOX", 1, NULL },

	{ NULL, 0, "empty" },
	{ "", 0, "empty" },
	{ "http://h/INBOX", 0, "imap:// or imaps://" },
	{ "imap:/h/INBOX", 0, "imap:// or imaps://" },
	{ "pop3://h/INBOX", 0, "imap:// or imaps://" },
	{ "imap://h", 0, "no mailbox" },
	{ "imap://h/", 0, "no mailbox" },
	{ "imap://h//", 0, "no mailbox" },
	{ "imap:///INBOX", 0, "no host" },
	{ "imap://user@/INBOX", 0, "no host" },
	{ "imap://@h/INBOX", 0, "empty user" },
	{ "imap://user:secret@h/INBOX", 0, "password" },
	{ "imap://h:/INBOX", 0, "port" },
	{ "imap://h:0/INBOX", 0, "port" },
	{ "imap://h:65536/INBOX", 0, "port" },
	{ "imap://h:99999999999999999999/INBOX", 0, "port" },
	{ "imap://h:14x/INBOX", 0, "port" },
	{ "imap://h:143:143/INBOX", 0, "port" },
	{ "imap://[]/INBOX", 0, "IPv6" },
	{ "imap://[::1/INBOX", 0, "IPv6" },
	{ "imap://[::g]/INBOX", 0, "IPv6" },
	{ "imap://[::1]x/INBOX", 0, "port" },
	{ "imap://h!x/INBOX", 0, "host" },
	{ "imap://h/IN BOX", 0, "space" },
	{ "imap://h/INBOX\r\nA1 LOGOUT", 0, "control" },
	{ "imap://h/INBOX\n", 0, "control" },
	{ "imap://h/INBOX\t", 0, "control" },
	{ "imap://h/INB\x7fOX", 0, "control" },
	{ "imap://h/INB\xc3\xa4OX", 0, "non-ASCII" },
	{ "imap://h/INBOX%0D%0AA1%20LOGOUT", 0, "control" },
	{ "imap://h/INBOX%7f", 0, "control" },
	{ "imap://h/INBOX%", 0, "malformed" },
	{ "imap://h/INBOX%4", 0, "malformed" },
	{ "imap://h/INBOX%zz", 0, "malformed" },
	{ "imap://us%0aer@h/INBOX", 0, "user name" },
	{ "imap://h/INBOX;UID=1", 0, "';'" },
	{ "imap://h/INBOX?ALL", 0, "'?'" },
	{ "imap://h/INBOX#x", 0, "'#'" },
	{ "imap://h?x/INBOX", 0, "'?'" },
};

TEST(url_check_table)
{
	size_t i;

	for (i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++) {
		const struct url_case *c = &url_cases[i];
		char why[256];
		int r;

		memset(why, 'x', sizeof(why));
		r = imap_url_check(c->url, why, sizeof(why));
		if (c->ok) {
			CHECK(r == 0);
			CHECK(why[0] == '\0');
		} else {
			CHECK(r == -1);
			CHECK(memchr(why, '\0', sizeof(why)) != NULL);
			CHECK(strstr(why, c->why) != NULL);
		}
		if (harness_current_failed) {
			printf("  case %zu: %s -> %d \"%s\"\n", i,
			    c->url ? c->url : "(null)", r,
			    memchr(why, '\0', sizeof(why)) ? why : "?");
			return;
		}
	}
}

TEST(url_check_length)
{
	char url[4096], why[256];
	size_t pre = strlen("imap://h/");

	memcpy(url, "imap://h/", pre);
	memset(url + pre, 'a', 2048 - pre);
	url[2048] = '\0';
	CHECK(imap_url_check(url, why, sizeof(why)) == 0);
	url[2048] = 'a';
	url[2049] = '\0';
	CHECK(imap_url_check(url, why, sizeof(why)) == -1);
	CHECK(strstr(why, "longer") != NULL);

	/* a host past 253 characters */
	memcpy(url, "imap://", 7);
	memset(url + 7, 'a', 254);
	memcpy(url + 7 + 254, "/INBOX", 7);
	CHECK(imap_url_check(url, why, sizeof(why)) == -1);
	CHECK(strstr(why, "host") != NULL);
}

TEST(url_check_why_optional)
{
	char why[8];

	CHECK(imap_url_check("imap://h/INBOX", NULL, 0) == 0);
	CHECK(imap_url_check("ftp://h/INBOX", NULL, 0) == -1);
	/* a short why is truncated, still terminated */
	CHECK(imap_url_check("ftp://h/INBOX", why, sizeof(why)) == -1);
	CHECK(strlen(why) == sizeof(why) - 1);
}

struct search_case {
	const char	*resp;
	int		 want;		/* count or -1 */
	unsigned long	 uids[4];	/* the first ones */
};

static const struct search_case search_cases[] = {
	{ "* SEARCH\r\n", 0, { 0 } },
	{ "* SEARCH \r\n", 0, { 0 } },
	{ "* SEARCH", 0, { 0 } },
	{ "* SEARCH 7\r\n", 1, { 7 } },
	{ "* SEARCH 2 84 882\r\n", 3, { 2, 84, 882 } },
	{ "* SEARCH 2 84 882", 3, { 2, 84, 882 } },
	{ "* SEARCH 2 84\n", 2, { 2, 84 } },
	{ "* search 5\r\n", 1, { 5 } },
	{ "* SEARCH  5   6 \r\n", 2, { 5, 6 } },
	{ "* SEARCH 4294967295\r\n", 1, { 4294967295UL } },
	{ "* SEARCH 0042\r\n", 1, { 42 } },
	{ "* 3 EXISTS\r\n* 1 RECENT\r\n* SEARCH 3\r\n", 1, { 3 } },
	{ "* SEARCH 3\r\n* 4 EXISTS\r\n", 1, { 3 } },
	{ "* OK [HIGHESTMODSEQ 5] x\r\n* SEARCH\r\n* 2 EXPUNGE\r\n", 0,
	    { 0 } },
	{ "* SEARCH 1 2\r\n* SEARCH 3\r\n", 3, { 1, 2, 3 } },
	{ "* SEARCH 2 5 (MODSEQ 917162500)\r\n", 2, { 2, 5 } },
	{ "* SEARCH (MODSEQ 1)\r\n", 0, { 0 } },
	{ "\r\n* SEARCH 9\r\n\r\n", 1, { 9 } },
	{ "* SEARCHRES 1\r\n* SEARCH 2\r\n", 1, { 2 } },
	{ "* 1 FETCH (FLAGS (\\Seen))\r\n* SEARCH 1\r\n", 1, { 1 } },

	{ "", -1, { 0 } },				/* no SEARCH line */
	{ "* 3 EXISTS\r\n", -1, { 0 } },
	{ "* SEARCHRES 1\r\n", -1, { 0 } },
	{ "A003 OK SEARCH completed\r\n", -1, { 0 } },	/* not untagged */
	{ "* SEARCH 1\r\nA003 OK done\r\n", -1, { 0 } },
	{ "hello\r\n", -1, { 0 } },
	{ "*SEARCH 1\r\n", -1, { 0 } },
	{ "* SEARCH 0\r\n", -1, { 0 } },		/* UIDs are non-zero */
	{ "* SEARCH -1\r\n", -1, { 0 } },
	{ "* SEARCH 1,2\r\n", -1, { 0 } },
	{ "* SEARCH 1:3\r\n", -1, { 0 } },
	{ "* SEARCH 12a\r\n", -1, { 0 } },
	{ "* SEARCH\t1\r\n", -1, { 0 } },
	{ "* SEARCH 4294967296\r\n", -1, { 0 } },
	{ "* SEARCH 99999999999999999999999\r\n", -1, { 0 } },
	{ "* SEARCH (MODSEQ)\r\n", -1, { 0 } },
	{ "* SEARCH 1 (MODSEQ 5) 2\r\n", -1, { 0 } },
	{ "* SEARCH 1 (FOO 5)\r\n", -1, { 0 } },
	{ "* SEARCH 1\r\r\n", -1, { 0 } },
};

TEST(parse_search_table)
{
	size_t i;

	for (i = 0; i < sizeof(search_cases) / sizeof(search_cases[0]); i++) {
		const struct search_case *c = &search_cases[i];
		unsigned long uids[4] = { 0 };
		int n, k;

		n = imap_parse_search(c->resp, strlen(c->resp), uids, 4);
		CHECK(n == c->want);
		for (k = 0; k < n && k < 4; k++)
			CHECK(uids[k] == c->uids[k]);
		if (harness_current_failed) {
			printf("  case %zu: got %d\n", i, n);
			return;
		}
	}
}

TEST(parse_search_bounds)
{
	unsigned long uids[2] = { 0, 0 };
	const char *r = "* SEARCH 1 2 3 4 5\r\n";
	char *big;
	size_t bigsz = 1024 * 1024 + 1;

	/* more UIDs than room: two stored, all counted */
	CHECK(imap_parse_search(r, strlen(r), uids, 2) == 5);
	CHECK(uids[0] == 1 && uids[1] == 2);
	CHECK(imap_parse_search(r, strlen(r), NULL, 0) == 5);
	CHECK(imap_parse_search(r, strlen(r), NULL, 2) == -1);
	CHECK(imap_parse_search(NULL, 0, uids, 2) == -1);

	/* len is honoured: no reading past it, no NUL needed */
	CHECK(imap_parse_search("* SEARCH 12345", 11, uids, 2) == 1);
	CHECK(uids[0] == 12);
	CHECK(imap_parse_search("* SEARCH 1\r\n* SEARCH 2", 12, uids, 2) == 1);

	/* an embedded NUL is garbage */
	CHECK(imap_parse_search("* SEARCH 1\0 2\r\n", 15, uids, 2) == -1);

	/* bigger than any answer mailive accepts */
	big = malloc(bigsz);
	CHECK(big != NULL);
	if (big != NULL) {
		memset(big, ' ', bigsz);
		memcpy(big, "* SEARCH", 8);
		CHECK(imap_parse_search(big, bigsz, uids, 2) == -1);
		CHECK(imap_parse_search(big, bigsz - 1, uids, 2) == 0);
		free(big);
	}
}

TEST(parse_search_many)
{
	/* 10,000 UIDs in one line, a few stored */
	size_t sz = 10 + 10000 * 6 + 3, off, i;
	char *buf = malloc(sz);
	unsigned long uids[3];

	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	off = (size_t)snprintf(buf, sz, "* SEARCH");
	for (i = 1; i <= 10000; i++)
		off += (size_t)snprintf(buf + off, sz - off, " %zu", i);
	off += (size_t)snprintf(buf + off, sz - off, "\r\n");
	CHECK(imap_parse_search(buf, off, uids, 3) == 10000);
	CHECK(uids[0] == 1 && uids[1] == 2 && uids[2] == 3);
	free(buf);
}

int
main(void)
{
	RUN(url_check_table);
	RUN(url_check_length);
	RUN(url_check_why_optional);
	RUN(parse_search_table);
	RUN(parse_search_bounds);
	RUN(parse_search_many);
	return harness_exit();
}
