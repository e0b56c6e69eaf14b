/*
 * net.c - TCP connect, bounded line reads and writes, all under one deadline.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

/*
 * The receive buffer.  It must hold the longest line any caller accepts;
 * SMTP's limit is 512 octets per reply line (RFC 5321 4.5.3.1.5) and we
 * accept far longer, but never without bound.
 */
#define CONN_BUF_SIZE	8192

struct conn {
	int			 fd;
	struct tls_session	*tls;
	char			 buf[CONN_BUF_SIZE];
	size_t			 start;	/* first unconsumed byte */
	size_t			 end;	/* one past the last received byte */
};

static void
describe_address(const struct sockaddr *sa, char *out, size_t outsz)
{
	const void *addr;
	int port;
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		addr = &s6->sin6_addr;
		port = ntohs(s6->sin6_port);
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
		snprintf(out, outsz, "[%s]:%d", ip, port);
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		addr = &s4->sin_addr;
		port = ntohs(s4->sin_port);
		inet_ntop(AF_INET, addr, ip, sizeof(ip));
		snprintf(out, outsz, "%s:%d", ip, port);
	}
}

/* Wait until fd is ready for events, within the deadline. */
static int
wait_ready(int fd, short events, const struct deadline *dl, const char *stage,
    struct failure *err)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	for (;;) {
		int wait_ms = deadline_wait_ms(dl, 0);

		if (wait_ms == 0) {
			failure_set(err, FAIL_TIMEOUT, stage,
			    "timed out waiting for the server");
			return -1;
		}
		n = poll(&pfd, 1, wait_ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			failure_set(err, FAIL_LOCAL, stage, "poll: %s",
			    strerror(errno));
			return -1;
		}
	}
}

struct conn *
conn_open(const struct sockaddr *sa, socklen_t salen,
    const struct sockaddr *bind_sa, socklen_t bind_salen,
    const struct deadline *dl, const char *stage, struct failure *err)
{
	struct conn *c;
	char where[INET6_ADDRSTRLEN + 10];
	int fd, soerr = 0;
	socklen_t soerrlen = sizeof(soerr);

	describe_address(sa, where, sizeof(where));
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		failure_set(err, FAIL_LOCAL, stage, "cannot create a socket "
		    "for %s: %s", where, strerror(errno));
		return NULL;
	}
	if (bind_sa != NULL && bind(fd, bind_sa, bind_salen) == -1) {
		failure_set(err, FAIL_LOCAL, stage, "cannot bind the local "
		    "address given with --bind: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (connect(fd, sa, salen) == -1) {
		if (errno != EINPROGRESS) {
			soerr = errno;
			goto failed;
		}
		if (wait_ready(fd, POLLOUT, dl, stage, err) == -1) {
			snprintf(err->message, sizeof(err->message),
			    "no TCP connection to %s before the deadline "
			    "(no answer: a firewall may drop the packets)",
			    where);
			close(fd);
			return NULL;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
		    &soerrlen) == -1)
			soerr = errno;
		if (soerr != 0)
			goto failed;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		failure_set(err, FAIL_LOCAL, stage, "out of memory");
		close(fd);
		return NULL;
	}
	c->fd = fd;
	return c;

failed:
	failure_set(err, FAIL_CONNECT, stage, "cannot connect to %s: %s",
	    where, strerror(soerr));
	close(fd);
	return NULL;
}

/* Receive more bytes into the buffer; 0 on success. */
static int
fill(struct conn *c, const struct deadline *dl, const char *stage,
    struct failure *err)
{
	ssize_t n;

	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	if (c->tls != NULL) {
		n = tls_read(c->tls, c->buf + c->end, sizeof(c->buf) - c->end,
		    dl, err);
		if (n < 0) {
			failure_stage(err, stage);
			return -1;
		}
	} else {
		for (;;) {
			n = recv(c->fd, c->buf + c->end,
			    sizeof(c->buf) - c->end, 0);
			if (n >= 0)
				break;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				failure_set(err, FAIL_PROTOCOL, stage,
				    "connection lost: %s", strerror(errno));
				return -1;
			}
			if (wait_ready(c->fd, POLLIN, dl, stage, err) == -1)
				return -1;
		}
	}
	if (n == 0) {
		failure_set(err, FAIL_PROTOCOL, stage,
		    "the server closed the connection");
		return -1;
	}
	c->end += (size_t)n;
	return 0;
}

int
conn_read_line(struct conn *c, char *line, size_t linesz,
    const struct deadline *dl, const char *stage, struct failure *err)
{
	for (;;) {
		char *lf = memchr(c->buf + c->start, '\n', c->end - c->start);

		if (lf != NULL) {
			size_t len = (size_t)(lf - (c->buf + c->start));

			if (len > 0 && c->buf[c->start + len - 1] == '\r')
				len--;
			if (len >= linesz) {
				failure_set(err, FAIL_PROTOCOL, stage,
				    "the server sent a line longer than %zu "
				    "bytes", linesz - 1);
				return -1;
			}
			if (memchr(c->buf + c->start, '\0', len) != NULL) {
				failure_set(err, FAIL_PROTOCOL, stage,
				    "the server sent a NUL byte");
				return -1;
			}
			memcpy(line, c->buf + c->start, len);
			line[len] = '\0';
			c->start = (size_t)(lf - c->buf) + 1;
			return 0;
		}
		if (c->end - c->start > linesz ||
		    c->end - c->start == sizeof(c->buf)) {
			failure_set(err, FAIL_PROTOCOL, stage,
			    "the server sent a line longer than %zu bytes",
			    linesz - 1);
			return -1;
		}
		if (fill(c, dl, stage, err) == -1)
			return -1;
	}
}

int
conn_write(struct conn *c, const void *buf, size_t len,
    const struct deadline *dl, const char *stage, struct failure *err)
{
	const char *p = buf;

	if (c->tls != NULL) {
		if (tls_write(c->tls, buf, len, dl, err) == -1) {
			failure_stage(err, stage);
			return -1;
		}
		return 0;
	}
	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			failure_set(err, FAIL_PROTOCOL, stage,
			    "connection lost while sending: %s",
			    strerror(errno));
			return -1;
		}
		if (wait_ready(c->fd, POLLOUT, dl, stage, err) == -1)
			return -1;
	}
	return 0;
}

void
conn_local_literal(const struct conn *c, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "127.0.0.1";

	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->
			    sin6_addr, ip, sizeof(ip));
			snprintf(out, outsz, "[IPv6:%s]", ip);
			return;
		}
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip,
		    sizeof(ip));
	}
	snprintf(out, outsz, "[%s]", ip);
}

size_t
conn_pending(const struct conn *c)
{
	return c->end - c->start;
}

void
conn_discard_pending(struct conn *c)
{
	c->start = c->end = 0;
}

int
conn_start_tls(struct conn *c, const struct tls_params *params,
    const char *host, const struct deadline *dl, struct tls_facts *facts,
    struct failure *err)
{
	if (c->tls != NULL) {
		failure_set(err, FAIL_PROTOCOL, "starttls",
		    "TLS is already active on this connection");
		return -1;
	}
	c->tls = tls_handshake(c->fd, params, host, dl, facts, err);
	return c->tls != NULL ? 0 : -1;
}

int
conn_is_tls(const struct conn *c)
{
	return c->tls != NULL;
}

void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	tls_close(c->tls);
	close(c->fd);
	free(c);
}
