/* failure.c - building and classifying failures. */
#include <stdio.h>
#include <string.h>

#include "failure.h"
#include "util.h"

void
failure_clear(struct failure *f)
{
	memset(f, 0, sizeof(*f));
}

void
failure_set(struct failure *f, enum fail_class class, const char *stage,
    const char *fmt, ...)
{
	va_list ap;

	f->class = class;
	copy_string(f->stage, sizeof(f->stage), stage);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

void
failure_stage(struct failure *f, const char *stage)
{
	copy_string(f->stage, sizeof(f->stage), stage);
}

void
failure_where(struct failure *f, const char *host, const char *address,
    int port)
{
	copy_string(f->host, sizeof(f->host), host ? host : "");
	copy_string(f->address, sizeof(f->address), address ? address : "");
	f->port = port;
}

void
failure_reply(struct failure *f, int code, const char *text)
{
	f->code = code;
	sanitize_copy(f->reply, sizeof(f->reply), text ? text : "");
}

int
failure_is_temporary(const struct failure *f)
{
	switch (f->class) {
	case FAIL_CONNECT:
	case FAIL_TIMEOUT:
	case FAIL_TEMPORARY:
	case FAIL_TLS:
	case FAIL_PROTOCOL:
		return 1;
	default:
		return 0;
	}
}

const char *
failure_class_name(enum fail_class class)
{
	static const char *const names[] = {
		[FAIL_NONE] = "none",
		[FAIL_USAGE] = "usage",
		[FAIL_LOCAL] = "local",
		[FAIL_DNS] = "dns",
		[FAIL_CONNECT] = "connect",
		[FAIL_TIMEOUT] = "timeout",
		[FAIL_TEMPORARY] = "temporary",
		[FAIL_PERMANENT] = "permanent",
		[FAIL_TLS] = "tls",
		[FAIL_PROTOCOL] = "protocol",
		[FAIL_AUTH] = "auth",
		[FAIL_NOT_RETURNED] = "not-returned",
	};

	if ((unsigned)class >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[class];
}
