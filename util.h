/* util.h - small string helpers shared by every module. */
#ifndef MAILIVE_UTIL_H
#define MAILIVE_UTIL_H

#include <stddef.h>

/* Copy src into dst of size dstsz, always NUL-terminated; truncates. */
void	 copy_string(char *dst, size_t dstsz, const char *src);

/*
 * Copy untrusted peer text for display on one line: a newline (between
 * the lines of a multi-line reply) becomes a space; other control
 * characters and bytes outside printable ASCII become '?', so a server
 * cannot move a terminal's cursor or forge output lines.
 */
void	 sanitize_copy(char *dst, size_t dstsz, const char *src);

/* Case-insensitive ASCII comparison of two strings. */
int	 ascii_casecmp(const char *, const char *);

/*
 * Parse a non-negative decimal number of seconds ("30", "0.5") into
 * milliseconds.  Returns -1 on anything else or above max_ms.
 */
long long parse_seconds_ms(const char *, long long max_ms);

/* Parse a decimal integer in [min, max]; -1 on error (so min must be >= 0). */
long long parse_uint(const char *, long long min, long long max);

/* True when s contains CR, LF or NUL-free control characters. */
int	 has_control_chars(const char *s);

#endif
