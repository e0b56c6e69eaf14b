/*
 * attach.h - the document attached to a probe (DOCX or PDF).
 *
 * Each probe can carry a freshly generated, unique document to exercise
 * content and virus filters.  The generators are not written yet: only the
 * choice is parsed, and attach_supported() says so, so that mailive refuses
 * --attach docx|pdf clearly instead of sending a probe without it.
 */
#ifndef MAILIVE_ATTACH_H
#define MAILIVE_ATTACH_H

enum attach_kind {
	ATTACH_NONE,
	ATTACH_DOCX,
	ATTACH_PDF
};

/* "none", "docx", "pdf" into a kind; -1 for anything else. */
int	 attach_parse_kind(const char *, enum attach_kind *);

/* The kind's name as the user writes it. */
const char *attach_kind_name(enum attach_kind);

/* Whether this build can generate that kind of document. */
int	 attach_supported(enum attach_kind);

#endif
