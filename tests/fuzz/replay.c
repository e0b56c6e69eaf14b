/*
 * replay.c - run a fuzz target's LLVMFuzzerTestOneInput() over files,
 * without libFuzzer, so the committed corpora are a regression test that
 * needs nothing but the normal compiler.
 *
 *   replay_TARGET [FILE|DIR...]
 *
 * With no argument it replays corpus/TARGET next to the binary (the
 * committed tests/fuzz/corpus/TARGET for tests/fuzz/replay_TARGET, which
 * is how tests/run.sh runs it).  Every file named, and every regular file in every directory named (not
 * recursively, in name order), is read whole and fed once.  Prints one
 * line as tests/run.sh expects, "PASS fuzz-replay-TARGET (N inputs)" or
 * "FAIL fuzz-replay-TARGET: ...", and exits 0 or 1.  A broken invariant
 * (abort) or a crash prints the FAIL line naming the input, then dies of
 * the signal (under AddressSanitizer its report comes instead, and the
 * exit status tells tests/run.sh).  TARGET comes from -DFUZZ_TARGET="...".
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#define FUZZ_TARGET "unknown"
#endif
#define NAME "fuzz-replay-" FUZZ_TARGET

/* The FAIL line for the input being run, written by the signal handler. */
static char crash_line[1024];
static size_t crash_len;

static void
on_signal(int sig)
{
	ssize_t w = write(STDOUT_FILENO, crash_line, crash_len);

	(void)w;
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Only where nobody else (AddressSanitizer, make asan) handles it. */
static void
catch_signal(int sig)
{
	struct sigaction old, sa;

	if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
	    old.sa_handler != SIG_DFL)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static int
fail(const char *path, const char *why)
{
	printf("FAIL %s: %s: %s\n", NAME, path, why);
	return -1;
}

static int
run_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	int n2;

	if (f == NULL)
		return fail(path, strerror(errno));
	for (;;) {
		if (len == cap) {
			uint8_t *nb;

			cap = cap ? 2 * cap : 4096;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				return fail(path, "out of memory");
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return fail(path, "read error");
	}
	fclose(f);

	n2 = snprintf(crash_line, sizeof(crash_line),
	    "FAIL %s: %s: crashed or broke an invariant (see above)\n",
	    NAME, path);
	crash_len = n2 > 0 && (size_t)n2 < sizeof(crash_line) ? (size_t)n2 :
	    sizeof(crash_line) - 1;
	fflush(stdout);
	/* libFuzzer hands over an exact-size copy: do the same */
	{
		uint8_t *exact = malloc(len > 0 ? len : 1);

		if (exact == NULL) {
			free(buf);
			return fail(path, "out of memory");
		}
		memcpy(exact, buf, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	free(buf);
	(*count)++;
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (d == NULL)
		return fail(dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char *path;
		size_t plen;

		if (e->d_name[0] == '.')	/* ".", "..", .gitkeep */
			continue;
		plen = strlen(dir) + strlen(e->d_name) + 2;
		if ((path = malloc(plen)) == NULL) {
			rc = fail(dir, "out of memory");
			break;
		}
		snprintf(path, plen, "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (n == cap) {
			char **nn;

			cap = cap ? 2 * cap : 64;
			if ((nn = realloc(names, cap * sizeof(*names))) ==
			    NULL) {
				free(path);
				rc = fail(dir, "out of memory");
				break;
			}
			names = nn;
		}
		names[n++] = path;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		if (rc == 0 && run_file(names[i], count) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	char dflt[4096], *dflt_argv[3];
	const char *slash;
	size_t count = 0;
	int i, n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		/* corpus/TARGET in the binary's directory */
		slash = strrchr(argv[0], '/');
		n = snprintf(dflt, sizeof(dflt), "%.*scorpus/%s",
		    slash != NULL ? (int)(slash - argv[0] + 1) : 0, argv[0],
		    FUZZ_TARGET);
		if (n < 0 || (size_t)n >= sizeof(dflt)) {
			printf("FAIL %s: path too long\n", NAME);
			return 1;
		}
		dflt_argv[0] = argv[0];
		dflt_argv[1] = dflt;
		dflt_argv[2] = NULL;
		argv = dflt_argv;
		argc = 2;
	}
	catch_signal(SIGABRT);
	catch_signal(SIGSEGV);
	catch_signal(SIGBUS);
	catch_signal(SIGFPE);
	catch_signal(SIGILL);
	for (i = 1; i < argc; i++) {
		struct stat st;
		int rc;

		if (stat(argv[i], &st) != 0) {
			fail(argv[i], strerror(errno));
			return 1;
		}
		rc = S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) :
		    run_file(argv[i], &count);
		if (rc != 0)
			return 1;
	}
	if (count == 0) {
		printf("FAIL %s: no inputs in", NAME);
		for (i = 1; i < argc; i++)
			printf(" %s", argv[i]);
		printf("\n");
		return 1;
	}
	printf("PASS %s (%zu inputs)\n", NAME, count);
	return 0;
}
