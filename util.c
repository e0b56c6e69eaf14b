/* util.c - small string helpers. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void
copy_string(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	if (dstsz == 0)
		return;
	n = strlen(src);
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
sanitize_copy(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	if (dstsz == 0)
		return;
	for (i = 0; src[i] != '\0' && i + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '\n')		/* lines of a multi-line reply */
			dst[i] = ' ';
		else
			dst[i] = (c >= 0x20 && c < 0x7f) || c == '\t' ?
			    (char)c : '?';
	}
	dst[i] = '\0';
}

int
ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = tolower((unsigned char)*a);
		int cb = tolower((unsigned char)*b);

		if (ca != cb || ca == '\0')
			return ca - cb;
	}
}

long long
parse_seconds_ms(const char *s, long long max_ms)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || !(isdigit((unsigned char)*s) || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || v < 0 || v * 1000.0 > (double)max_ms)
		return -1;
	return (long long)(v * 1000.0 + 0.5);
}

long long
parse_uint(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	return v;
}

int
has_control_chars(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}
