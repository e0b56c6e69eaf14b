/*
 * tls.c - the client side of STARTTLS with OpenSSL, bounded by the deadline.
 *
 * The certificate is always verified (chain against the system CAs or
 * --ca-file, and the host name), but the handshake never fails because of
 * it: an MTA delivering opportunistically does not either.  The result is
 * recorded in tls_facts and the caller decides (--tls-verify).
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util.h"

struct tls_session {
	SSL_CTX	*ctx;
	SSL	*ssl;
	int	 fd;
};

/* OpenSSL's error queue in words; emptied on the way. */
static void
openssl_reason(char *out, size_t outsz)
{
	unsigned long e;
	size_t used = 0;

	out[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		char one[256];

		ERR_error_string_n(e, one, sizeof(one));
		if (used + strlen(one) + 3 < outsz) {
			used += (size_t)snprintf(out + used, outsz - used,
			    "%s%s", used ? "; " : "", one);
		}
	}
}

/* Explain an SSL_get_error() code after a failed call, in words. */
static void
io_error(int sslerr, char *out, size_t outsz)
{
	char reason[512];
	int saved = errno;

	openssl_reason(reason, sizeof(reason));
	switch (sslerr) {
	case SSL_ERROR_ZERO_RETURN:
		snprintf(out, outsz, "the server closed the TLS session");
		break;
	case SSL_ERROR_SYSCALL:
		if (reason[0] != '\0')
			snprintf(out, outsz, "%s", reason);
		else if (saved != 0)
			snprintf(out, outsz, "connection lost: %s",
			    strerror(saved));
		else
			snprintf(out, outsz, "the server closed the "
			    "connection unexpectedly");
		break;
	default:
		snprintf(out, outsz, "%s", reason[0] ? reason :
		    "unknown TLS error");
		break;
	}
}

/* Wait as OpenSSL asks (WANT_READ / WANT_WRITE), within the deadline. */
static int
wait_for(struct tls_session *t, int sslerr, const struct deadline *dl,
    struct failure *err)
{
	struct pollfd pfd = { .fd = t->fd };
	int wait_ms, n;

	pfd.events = sslerr == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
	do {
		wait_ms = deadline_wait_ms(dl, 0);
		if (wait_ms == 0) {
			failure_set(err, FAIL_TIMEOUT, "tls",
			    "timed out waiting for the server in TLS");
			return -1;
		}
		n = poll(&pfd, 1, wait_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		failure_set(err, FAIL_LOCAL, "tls", "poll: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
is_ip_literal(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

static void
name_to_text(X509_NAME *name, char *out, size_t outsz)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	out[0] = '\0';
	if (bio == NULL)
		return;
	X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_get_mem_data(bio, &data);
	if (len > 0) {
		size_t n = (size_t)len < outsz ? (size_t)len : outsz - 1;
		char tmp[TLS_TEXT_MAX];

		if (n >= sizeof(tmp))
			n = sizeof(tmp) - 1;
		memcpy(tmp, data, n);
		tmp[n] = '\0';
		sanitize_copy(out, outsz, tmp);
	}
	BIO_free(bio);
}

static void
time_to_text(const ASN1_TIME *t, char *out, size_t outsz)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		copy_string(out, outsz, "");
		return;
	}
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
collect_sans(X509 *cert, struct tls_facts *f)
{
	GENERAL_NAMES *names;
	int i;

	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (names == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(names) && f->nsans < TLS_SAN_MAX;
	    i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		char text[256] = "";

		if (gn->type == GEN_DNS) {
			const unsigned char *s = ASN1_STRING_get0_data(
			    gn->d.dNSName);
			int len = ASN1_STRING_length(gn->d.dNSName);

			snprintf(text, sizeof(text), "DNS:%.*s", len,
			    (const char *)s);
		} else if (gn->type == GEN_IPADD) {
			const unsigned char *ip = ASN1_STRING_get0_data(
			    gn->d.iPAddress);
			int len = ASN1_STRING_length(gn->d.iPAddress);
			char ipt[INET6_ADDRSTRLEN] = "?";

			if (len == 4)
				inet_ntop(AF_INET, ip, ipt, sizeof(ipt));
			else if (len == 16)
				inet_ntop(AF_INET6, ip, ipt, sizeof(ipt));
			snprintf(text, sizeof(text), "IP:%s", ipt);
		} else
			continue;
		sanitize_copy(f->sans[f->nsans++], sizeof(f->sans[0]), text);
	}
	GENERAL_NAMES_free(names);
}

static void
collect_cert(SSL *ssl, const char *host, struct tls_facts *f)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	int days = 0, secs = 0;
	long vr;

	if (cert == NULL) {
		copy_string(f->verify_result, sizeof(f->verify_result),
		    "the server sent no certificate");
		return;
	}
	f->have_cert = 1;
	name_to_text(X509_get_subject_name(cert), f->subject,
	    sizeof(f->subject));
	name_to_text(X509_get_issuer_name(cert), f->issuer, sizeof(f->issuer));
	collect_sans(cert, f);
	time_to_text(X509_get0_notBefore(cert), f->not_before,
	    sizeof(f->not_before));
	time_to_text(X509_get0_notAfter(cert), f->not_after,
	    sizeof(f->not_after));
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)) == 1)
		f->days_left = days - (secs < 0 ? 1 : 0);
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) == 1) {
		/* "AB:CD:...": three characters a byte, less the first colon */
		for (i = 0; i < mdlen && 3 * i + 3 <= sizeof(f->sha256); i++)
			snprintf(f->sha256 + (i ? 3 * i - 1 : 0),
			    sizeof(f->sha256) - (i ? 3 * i - 1 : 0), "%s%02X",
			    i ? ":" : "", md[i]);
	}
	if (is_ip_literal(host))
		f->hostname_match = X509_check_ip_asc(cert, host, 0) == 1;
	else
		f->hostname_match = X509_check_host(cert, host, 0, 0,
		    NULL) == 1;
	vr = SSL_get_verify_result(ssl);
	if (vr == X509_V_OK && !f->hostname_match)
		vr = X509_V_ERR_HOSTNAME_MISMATCH;
	f->verified = vr == X509_V_OK;
	copy_string(f->verify_result, sizeof(f->verify_result),
	    vr == X509_V_OK ? "ok" : X509_verify_cert_error_string(vr));
	X509_free(cert);
}

static void
collect_facts(SSL *ssl, const char *host, struct tls_facts *f)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);

	memset(f, 0, sizeof(*f));
	copy_string(f->version, sizeof(f->version), SSL_get_version(ssl));
	if (cipher != NULL) {
		copy_string(f->cipher, sizeof(f->cipher),
		    SSL_CIPHER_get_name(cipher));
		f->cipher_bits = SSL_CIPHER_get_bits(cipher, NULL);
	}
	collect_cert(ssl, host, f);
}

static struct tls_session *
session_new(int fd, const struct tls_params *p, const char *host,
    struct failure *err)
{
	struct tls_session *t = calloc(1, sizeof(*t));
	int min = p->min_version > 0 ? p->min_version : TLS1_2_VERSION;
	char reason[512];

	if (t == NULL) {
		failure_set(err, FAIL_LOCAL, "tls-handshake", "out of memory");
		return NULL;
	}
	t->fd = fd;
	ERR_clear_error();
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(t->ctx, min);
	/*
	 * Debian's OpenSSL refuses TLS 1.0/1.1 at its default security level;
	 * whoever asks for them with --tls-min wants to reach such a server.
	 */
	if (min < TLS1_2_VERSION)
		SSL_CTX_set_security_level(t->ctx, 0);
	/* Verify, record, but do not abort the handshake: see the top. */
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	if (p->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(t->ctx, p->ca_file,
		    NULL) != 1) {
			openssl_reason(reason, sizeof(reason));
			failure_set(err, FAIL_LOCAL, "tls-handshake",
			    "cannot load the CA file %s: %s", p->ca_file,
			    reason);
			tls_close(t);
			return NULL;
		}
	} else
		SSL_CTX_set_default_verify_paths(t->ctx);
	if ((t->ssl = SSL_new(t->ctx)) == NULL ||
	    SSL_set_fd(t->ssl, fd) != 1)
		goto fail;
	if (!is_ip_literal(host))
		SSL_set_tlsext_host_name(t->ssl, host);
	return t;

fail:
	openssl_reason(reason, sizeof(reason));
	failure_set(err, FAIL_LOCAL, "tls-handshake",
	    "cannot set up TLS: %s", reason);
	tls_close(t);
	return NULL;
}

struct tls_session *
tls_handshake(int fd, const struct tls_params *p, const char *host,
    const struct deadline *dl, struct tls_facts *facts, struct failure *err)
{
	struct tls_session *t = session_new(fd, p, host, err);
	char why[600];
	int r, e;

	if (t == NULL)
		return NULL;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = SSL_connect(t->ssl);
		if (r == 1)
			break;
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (wait_for(t, e, dl, err) == -1) {
				failure_set(err, err->class, "tls-handshake",
				    "the TLS handshake did not finish before "
				    "the deadline");
				tls_close(t);
				return NULL;
			}
			continue;
		}
		io_error(e, why, sizeof(why));
		failure_set(err, FAIL_TLS, "tls-handshake",
		    "TLS handshake failed: %s", why);
		tls_close(t);
		return NULL;
	}
	collect_facts(t->ssl, host, facts);
	return t;
}

ssize_t
tls_read(struct tls_session *t, void *buf, size_t len,
    const struct deadline *dl, struct failure *err)
{
	char why[600];
	int r, e;

	if (len > INT32_MAX)
		len = INT32_MAX;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = SSL_read(t->ssl, buf, (int)len);
		if (r > 0)
			return r;
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (wait_for(t, e, dl, err) == -1)
				return -1;
			continue;
		}
		io_error(e, why, sizeof(why));
		failure_set(err, FAIL_TLS, "tls", "TLS session broken: %s",
		    why);
		return -1;
	}
}

int
tls_write(struct tls_session *t, const void *buf, size_t len,
    const struct deadline *dl, struct failure *err)
{
	const char *p = buf;
	char why[600];
	int r, e;

	while (len > 0) {
		int chunk = len > 65536 ? 65536 : (int)len;

		ERR_clear_error();
		errno = 0;
		r = SSL_write(t->ssl, p, chunk);
		if (r > 0) {
			p += r;
			len -= (size_t)r;
			continue;
		}
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (wait_for(t, e, dl, err) == -1)
				return -1;
			continue;
		}
		io_error(e, why, sizeof(why));
		failure_set(err, FAIL_TLS, "tls", "TLS session broken while "
		    "sending: %s", why);
		return -1;
	}
	return 0;
}

size_t
tls_pending(struct tls_session *t)
{
	int n = SSL_pending(t->ssl);

	return n > 0 ? (size_t)n : 0;
}

void
tls_close(struct tls_session *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL) {
		/* One close_notify, no wait for the peer's: we are done. */
		ERR_clear_error();
		SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
	}
	SSL_CTX_free(t->ctx);
	ERR_clear_error();
	free(t);
}

int
tls_parse_version(const char *s)
{
	if (strcmp(s, "1.0") == 0)
		return TLS1_VERSION;
	if (strcmp(s, "1.1") == 0)
		return TLS1_1_VERSION;
	if (strcmp(s, "1.2") == 0)
		return TLS1_2_VERSION;
	if (strcmp(s, "1.3") == 0)
		return TLS1_3_VERSION;
	return -1;
}
