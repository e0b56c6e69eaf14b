/*
 * fuzz.h - what every tests/fuzz/fuzz_*.c shares.
 *
 * Each fuzz_*.c defines LLVMFuzzerTestOneInput() and nothing else global.
 * Built with clang -fsanitize=fuzzer it is a libFuzzer target; linked with
 * tests/fuzz/replay.c by the normal compiler it replays a corpus (make
 * fuzz-replay, make check).  A broken invariant calls FUZZ_ASSERT, which
 * prints what broke and aborts, so both report it as a crash.
 */
#ifndef MAILIVE_FUZZ_H
#define MAILIVE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz invariant broken: %s:%d: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* A malloc'd, NUL-terminated copy of n bytes (which may hold NULs). */
static inline char *
fuzz_strndup(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Is the string in buf NUL-terminated within bufsz bytes? */
static inline int
fuzz_terminated(const char *buf, size_t bufsz)
{
	return memchr(buf, '\0', bufsz) != NULL;
}

#endif
