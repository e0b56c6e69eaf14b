/* attach.c - the attachment kinds; the document writers come later. */
#include <string.h>

#include "attach.h"

static const char *const kind_names[] = {
	[ATTACH_NONE] = "none",
	[ATTACH_DOCX] = "docx",
	[ATTACH_PDF] = "pdf",
};

int
attach_parse_kind(const char *s, enum attach_kind *kind)
{
	size_t i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*kind = (enum attach_kind)i;
			return 0;
		}
	}
	return -1;
}

const char *
attach_kind_name(enum attach_kind kind)
{
	if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[kind];
}

int
attach_supported(enum attach_kind kind)
{
	return kind == ATTACH_NONE;
}
