/*
 * fuzz_imap_search.c - the IMAP SEARCH response parser and the URL check.
 *
 * imap_parse_search() gets the raw bytes in a buffer of exactly that size
 * (no NUL after them): it must honour len, and AddressSanitizer reports
 * any read past it.  The UID array is exactly maxuids long, for the same
 * reason.  imap_url_check() gets a NUL-terminated copy, with a reason
 * buffer of a size taken from the input (small ones included).
 */
#include <strings.h>

#include "fuzz.h"
#include "imap_poll.h"

static void
fuzz_search(const uint8_t *data, size_t size, size_t maxuids)
{
	char *buf = malloc(size > 0 ? size : 1);
	unsigned long *uids = maxuids > 0 ?
	    malloc(maxuids * sizeof(*uids)) : NULL;
	size_t i;
	int n;

	FUZZ_ASSERT(buf != NULL && (maxuids == 0 || uids != NULL));
	if (size > 0)
		memcpy(buf, data, size);
	n = imap_parse_search(buf, size, uids, maxuids);
	FUZZ_ASSERT(n >= -1);
	if (n > 0) {
		/* a SEARCH line was seen, and every UID is 1..2^32-1 */
		for (i = 0; i < (size_t)n && i < maxuids; i++)
			FUZZ_ASSERT(uids[i] >= 1 && uids[i] <= 4294967295UL);
		/* "* SEARCH", then at least " N" per UID */
		FUZZ_ASSERT(8 + (size_t)n * 2 <= size);
	}
	if (n >= 0)
		FUZZ_ASSERT(size >= 8);	/* "* SEARCH" at the very least */
	free(uids);
	free(buf);
}

static void
fuzz_url(const uint8_t *data, size_t size)
{
	char *url = fuzz_strndup(data, size);
	size_t whysz = size > 0 ? (size_t)data[0] % 8 : 0;
	char *why;
	int rc;

	/* a reason buffer of 256, or 0..7 bytes (0: NULL) */
	whysz = whysz == 7 ? 256 : whysz;
	why = whysz > 0 ? malloc(whysz) : NULL;
	FUZZ_ASSERT(whysz == 0 || why != NULL);
	if (why != NULL)
		memset(why, 'x', whysz);
	rc = imap_url_check(url, why, whysz);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (why != NULL) {
		FUZZ_ASSERT(fuzz_terminated(why, whysz));
		if (rc == -1 && whysz > 1)
			FUZZ_ASSERT(why[0] != '\0');
		if (rc == 0)
			FUZZ_ASSERT(why[0] == '\0');
	}
	if (rc == 0)
		FUZZ_ASSERT(strncasecmp(url, "imap://", 7) == 0 ||
		    strncasecmp(url, "imaps://", 8) == 0);
	free(why);
	free(url);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_search(data, size, 64);	/* as imap_wait_for_token() asks */
	fuzz_search(data, size, 1);
	fuzz_search(data, size, 0);
	fuzz_url(data, size);
	return 0;
}
