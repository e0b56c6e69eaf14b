/* Unit tests: the probe message and its token. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "message.h"

static char *
build(const char *token, const struct mime_part *parts, size_t nparts,
    size_t *len)
{
	struct message_params p = {
		.from = "probe@sender.example",
		.to = "echo@sut.example",
		.return_address = "return@sender.example",
		.token = token,
		.sender_host = "probe.sender.example",
		.date_wall_ms = 1764892800000LL,	/* 2025-12-05 00:00 UTC */
		.parts = parts,
		.nparts = nparts,
	};

	return message_build(&p, len);
}

TEST(token_is_128_bits_of_hex_and_unique)
{
	char a[MESSAGE_TOKEN_MAX], b[MESSAGE_TOKEN_MAX];
	size_t i;

	CHECK(message_new_token(a) == 0);
	CHECK(message_new_token(b) == 0);
	CHECK(strlen(a) == 32);
	for (i = 0; i < strlen(a); i++)
		CHECK(isxdigit((unsigned char)a[i]) && !isupper((unsigned char)a[i]));
	CHECK(strcmp(a, b) != 0);
}

TEST(token_in_subject_id_header_and_body)
{
	const char *tok = "0123456789abcdef0123456789abcdef";
	size_t len;
	char *m = build(tok, NULL, 0, &len);
	char *body;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(strlen(m) == len);
	body = strstr(m, "\r\n\r\n");
	CHECK(body != NULL);
	CHECK(strstr(m, "\r\nSubject: mailive round-trip probe "
	    "0123456789abcdef0123456789abcdef\r\n") != NULL);
	CHECK(strstr(m, "\r\nMessage-ID: <mailive.0123456789abcdef0123456789"
	    "abcdef@sender.example>\r\n") != NULL);
	CHECK(strstr(m, "\r\nX-Mailive-Token: 0123456789abcdef0123456789abcd"
	    "ef\r\n") != NULL);
	CHECK(body != NULL && strstr(body, tok) != NULL);
	free(m);
}

TEST(headers_are_rfc5322)
{
	size_t len, i;
	char *m = build("00000000000000000000000000000000", NULL, 0, &len);
	char *end;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(strncmp(m, "Date: Fri, 05 Dec 2025 00:00:00 +0000\r\n", 39) == 0);
	CHECK(strstr(m, "\r\nFrom: <probe@sender.example>\r\n") != NULL);
	CHECK(strstr(m, "\r\nTo: <echo@sut.example>\r\n") != NULL);
	CHECK(strstr(m, "\r\nMIME-Version: 1.0\r\n") != NULL);
	/* Mail that looks automatic is not answered by auto-responders. */
	end = strstr(m, "\r\n\r\n");
	CHECK(end != NULL);
	if (end != NULL)
		*end = '\0';
	CHECK(strstr(m, "Auto-Submitted") == NULL);
	CHECK(strstr(m, "Precedence") == NULL);
	if (end != NULL)
		*end = '\r';
	/* Every line ends in CRLF, is ASCII and at most 78 characters. */
	for (i = 0; i < len; i++) {
		CHECK((unsigned char)m[i] < 0x80);
		if (m[i] == '\n')
			CHECK(i > 0 && m[i - 1] == '\r');
		if (m[i] == '\r')
			CHECK(i + 1 < len && m[i + 1] == '\n');
	}
	for (i = 0; i < len;) {
		size_t n = strcspn(m + i, "\r");

		CHECK(n <= 78);
		i += n + 2;
	}
	free(m);
}

TEST(multipart_with_a_part)
{
	static const unsigned char data[] = "%PDF-1.4 not really";
	struct mime_part part = { "application/pdf", "probe.pdf", data,
	    sizeof(data) - 1 };
	size_t len;
	char *m = build("11111111111111111111111111111111", &part, 1, &len);

	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(strstr(m, "Content-Type: multipart/mixed; boundary=") != NULL);
	CHECK(strstr(m, "Content-Disposition: attachment; "
	    "filename=\"probe.pdf\"") != NULL);
	/* base64 of "%PDF-1.4 not really" */
	CHECK(strstr(m, "JVBERi0xLjQgbm90IHJlYWxseQ==\r\n") != NULL);
	CHECK(strstr(m, "--=_mailive_11111111111111111111111111111111--\r\n")
	    != NULL);
	free(m);
}

int
main(void)
{
	RUN(token_is_128_bits_of_hex_and_unique);
	RUN(token_in_subject_id_header_and_body);
	RUN(headers_are_rfc5322);
	RUN(multipart_with_a_part);
	return harness_exit();
}
