#!/usr/bin/env python3
"""fakesmtp.py - a scriptable, misbehaving SMTP server for mailive's tests.

Real servers (Postfix) prove the success paths.  This server plays what a
real server will not do on cue: a 4xx/5xx at a chosen stage, a greeting
that never comes, a dropped connection, garbage, a STARTTLS that is refused
or answered with garbage or with injected plaintext, a TLS handshake with a
chosen (bad) certificate, LF-only line endings, over-long or endless
replies, a reply sent one byte at a time.

Usage:
    fakesmtp.py --listen ADDR:PORT --scenario FILE [--cert PEM [--key PEM]]
                [--log FILE] [--port-file FILE] [--connections N]

Once listening it prints the bound port (and only that) on stdout, so a test
can listen on port 0 and read the port back.  Connections are served one
after another, never concurrently, so the transcript in --log is never
interleaved; each connection plays the scenario from the start.  The
scenario language and the transcript format are described in README.md next
to this file.

Python 3 standard library only.  Exit status: 0 after --connections N
connections or on SIGTERM/SIGINT, 1 on a runtime error, 2 on a bad command
line or scenario.
"""

import argparse
import ipaddress
import os
import random
import re
import signal
import socket
import ssl
import sys
import time

# Longest client line we buffer while looking for its LF.  RFC 5321 allows
# 512 (commands) and 1000 (text lines); this is generous but bounded, so a
# client that never sends LF cannot make the server eat memory.
MAX_LINE_DEFAULT = 64 * 1024

# Seconds a connection may stay without progress (no byte read, no write
# completing) before the server gives up on it.  0 means wait forever.
IDLE_TIMEOUT_DEFAULT = 60.0

# Continuation lines an `endless` reply sends before giving up and sending
# its final line, when the scenario gives no count.
ENDLESS_CAP_DEFAULT = 100000

# Message lines logged as `D:` when `log-data` is not set.
DATA_HEAD_LINES = 10

# Characters of one line written to the transcript; the rest is summarised.
LOG_LINE_MAX = 1024

RECV_CHUNK = 4096


class Terminated(BaseException):
    """Raised from the SIGTERM/SIGINT handler.

    A BaseException, so no `except Exception` can swallow it; it unwinds
    through whatever blocking call (accept, recv, sleep, handshake) the
    server is in, so termination is prompt.
    """


class ScenarioError(Exception):
    """A mistake in the scenario file; the message names file and line."""


class SessionEnd(Exception):
    """Ends the current connection; `reason` goes into the `* close` line."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------
# Byte escapes: `raw` arguments in, transcript lines out.
# --------------------------------------------------------------------------

_ESCAPES = {'r': b'\r', 'n': b'\n', 't': b'\t', '0': b'\0', '\\': b'\\'}


def unescape(text):
    """Turn a `raw` argument into bytes.

    Knows \\r \\n \\t \\0 \\\\ and \\xHH; anything else after a backslash
    is an error (ValueError), so typos do not silently become literal text.
    """
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != '\\':
            out += c.encode('utf-8')
            i += 1
            continue
        nxt = text[i + 1:i + 2]
        if nxt in _ESCAPES:
            out += _ESCAPES[nxt]
            i += 2
        elif nxt == 'x' and re.fullmatch(r'[0-9A-Fa-f]{2}', text[i + 2:i + 4]):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError('bad escape at "%s"' % text[i:i + 4])
    return bytes(out)


def escape(data):
    """Render bytes as one printable ASCII transcript line.

    Printable ASCII stays as it is; backslash becomes \\\\; CR, LF and TAB
    become \\r \\n \\t; every other byte becomes \\xHH.
    """
    out = []
    for b in data:
        if b == 0x5c:
            out.append('\\\\')
        elif 0x20 <= b < 0x7f:
            out.append(chr(b))
        elif b == 0x0d:
            out.append('\\r')
        elif b == 0x0a:
            out.append('\\n')
        elif b == 0x09:
            out.append('\\t')
        else:
            out.append('\\x%02x' % b)
    return ''.join(out)


def garbage_bytes(count):
    """`count` fixed pseudo-random bytes, never CR or LF (line ends stay the
    scenario's choice), never starting with a digit (never a reply code)."""
    rng = random.Random(0x5EED)
    out = bytearray()
    while len(out) < count:
        b = rng.randrange(256)
        if b in (0x0a, 0x0d) or (not out and 0x30 <= b <= 0x39):
            continue
        out.append(b)
    return bytes(out)


# --------------------------------------------------------------------------
# The scenario language (see README.md for the user's view).
#
# A scenario is options plus rules.  A rule line is `KEY: STEP`; all lines
# with the same KEY form, in file order, the list of steps played when that
# key fires.  A step is a tuple (action, argument).
# --------------------------------------------------------------------------

# Actions that take no argument.
_BARE_ACTIONS = {'builtin', 'close', 'hang', 'none', 'read', 'reset', 'tls'}

# Keys that are not SMTP verbs.  They are kept lower case, verbs upper case,
# so a client sending "GREETING" or "." as a command can never fire them.
SPECIAL_KEYS = ('greeting', 'default', '.')

_RULE_RE = re.compile(r'^([A-Za-z][A-Za-z0-9_-]*|\.)(?:#([1-9][0-9]*))?:(.*)$')
_CODE_RE = re.compile(r'^[0-9]{3}-?$')


def _number(text, what, integer=False, minimum=0):
    try:
        value = int(text) if integer else float(text)
    except (TypeError, ValueError):
        raise ValueError('%s must be a number, got "%s"' % (what, text))
    if value < minimum:
        raise ValueError('%s must be at least %s' % (what, minimum))
    return value


def parse_step(body):
    """Parse the text after `KEY:` into one (action, argument) step."""
    if body[:3].isdigit():
        return ('line', body)               # a reply line, sent as written
    action, _, arg = body.partition(' ')
    if action == 'never':
        action = 'hang'
    if action in _BARE_ACTIONS:
        if arg.strip():
            raise ValueError('"%s" takes no argument' % action)
        return (action, None)
    if action == 'line':
        return ('line', arg)
    if action == 'raw':
        if not arg:
            raise ValueError('"raw" needs bytes to send')
        return ('raw', unescape(arg))
    if action in ('delay', 'slow'):
        return (action, _number(arg.strip(), action))
    if action == 'ending':
        if arg.strip() not in ('crlf', 'lf'):
            raise ValueError('"ending" takes crlf or lf')
        return ('ending', b'\r\n' if arg.strip() == 'crlf' else b'\n')
    if action == 'garbage':
        return ('garbage', _number(arg.strip(), 'garbage count', True, 1))
    if action == 'overlong':
        words = arg.split()
        if len(words) != 2 or not _CODE_RE.match(words[0]):
            raise ValueError('usage: overlong CODE[-] LENGTH')
        code = words[0] if words[0].endswith('-') else words[0] + ' '
        length = _number(words[1], 'overlong length', True, len(code) + 1)
        return ('overlong', (code, length))
    if action == 'endless':
        words = arg.split()
        if not 1 <= len(words) <= 2 or not re.fullmatch(r'[0-9]{3}', words[0]):
            raise ValueError('usage: endless CODE [LINES]')
        cap = ENDLESS_CAP_DEFAULT
        if len(words) == 2:
            cap = _number(words[1], 'endless line count', True, 1)
        return ('endless', (words[0], cap))
    raise ValueError('unknown step "%s"' % action)


class Scenario:
    """A parsed scenario file: options plus rules keyed by (KEY, N)."""

    def __init__(self):
        self.ending = b'\r\n'             # option `ending`
        self.slow = 0.0                   # option `slow`
        self.log_data = False             # option `log-data`
        self.idle_timeout = IDLE_TIMEOUT_DEFAULT
        self.max_line = MAX_LINE_DEFAULT
        # (key, occurrence or None) -> [steps]; None = any occurrence
        # without a rule of its own.
        self.rules = {}

    def has_key(self, key):
        return any(k == key for k, _ in self.rules)

    def steps_for(self, key, occurrence):
        """The scripted steps for the Nth firing of key, or None."""
        steps = self.rules.get((key, occurrence))
        if steps is None:
            steps = self.rules.get((key, None))
        return steps

    def uses_tls(self):
        return any(step[0] == 'tls'
                   for steps in self.rules.values() for step in steps)


def parse_scenario(text, name):
    """Parse scenario text; raise ScenarioError naming name:line."""
    scn = Scenario()
    for lineno, raw_line in enumerate(text.splitlines(), 1):
        line = raw_line.strip()
        if not line or line.startswith('#'):
            continue
        try:
            _parse_line(scn, line)
        except ValueError as e:
            raise ScenarioError('%s:%d: %s' % (name, lineno, e))
    return scn


def _parse_line(scn, line):
    m = _RULE_RE.match(line)
    if m:
        key, nth, body = m.group(1), m.group(2), m.group(3).strip()
        key = key.lower() if key.lower() in SPECIAL_KEYS else key.upper()
        if key == 'greeting' and nth:
            raise ValueError('greeting happens once; it takes no #N')
        occurrence = int(nth) if nth else None
        scn.rules.setdefault((key, occurrence), []).append(parse_step(body))
        return
    option, _, arg = line.partition(' ')
    arg = arg.strip()
    if option == 'log-data' and not arg:
        scn.log_data = True
    elif option == 'ending' and arg in ('crlf', 'lf'):
        scn.ending = b'\r\n' if arg == 'crlf' else b'\n'
    elif option == 'slow':
        scn.slow = _number(arg, 'slow')
    elif option == 'idle-timeout':
        scn.idle_timeout = _number(arg, 'idle-timeout')
    elif option == 'max-line':
        scn.max_line = _number(arg, 'max-line', True, 16)
    else:
        raise ValueError('not a rule (KEY: STEP) nor a known option: "%s"'
                         % line)


def builtin_steps(key, tls_available, in_tls):
    """What the server does for key when the scenario says nothing.

    Together these make a normal, successful session.  EHLO advertises
    STARTTLS, and STARTTLS succeeds, only when a certificate was given and
    TLS is not yet active.
    """
    if key == 'EHLO':
        caps = ['250-fake.test', '250-PIPELINING', '250-SIZE 10240000']
        if tls_available and not in_tls:
            caps.append('250-STARTTLS')
        caps += ['250-ENHANCEDSTATUSCODES', '250 8BITMIME']
        return [('line', c) for c in caps]
    if key == 'STARTTLS':
        if in_tls:
            return [('line', '503 5.5.1 TLS already active')]
        if not tls_available:
            return [('line', '454 4.7.0 TLS not available')]
        return [('line', '220 2.0.0 Ready to start TLS'), ('tls', None)]
    replies = {
        'greeting': '220 fake.test ESMTP fakesmtp',
        'HELO': '250 fake.test',
        'MAIL': '250 2.1.0 Ok',
        'RCPT': '250 2.1.5 Ok',
        'DATA': '354 End data with <CR><LF>.<CR><LF>',
        '.': '250 2.0.0 Ok: queued as FAKE123',
        'RSET': '250 2.0.0 Ok',
        'NOOP': '250 2.0.0 Ok',
        'QUIT': '221 2.0.0 Bye',
    }
    return [('line', replies.get(key, '502 5.5.2 Command not recognized'))]


# Verbs that have built-in replies; any other verb is handled by `default:`
# unless the scenario has a rule for that verb.
BUILTIN_VERBS = ('EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'NOOP',
                 'QUIT', 'STARTTLS')


# --------------------------------------------------------------------------
# Transcript
# --------------------------------------------------------------------------

class Transcript:
    """Appends `C: `, `S: `, `D: ` and `* ` lines to --log, flushing each."""

    def __init__(self, path):
        self.file = None
        if path:
            self.file = open(path, 'a', encoding='ascii',
                             errors='backslashreplace')

    def write(self, prefix, text):
        if self.file is None:
            return
        if len(text) > LOG_LINE_MAX:
            text = '%s[... %d characters]' % (text[:LOG_LINE_MAX], len(text))
        self.file.write(prefix + text + '\n')
        self.file.flush()

    def marker(self, text):
        self.write('* ', text)

    def output(self, data):
        """Log bytes the server sends: one `S:` line per LF-ended line,
        without its CR LF; a trailing piece with no LF gets an `S:` line
        too (e.g. `raw` bytes, garbage)."""
        if data.endswith(b'\n'):
            data = data[:-1]
        for piece in data.split(b'\n'):
            if piece.endswith(b'\r'):
                piece = piece[:-1]
            self.write('S: ', escape(piece))


# --------------------------------------------------------------------------
# One connection
# --------------------------------------------------------------------------

class Session:
    """Plays the scenario once, on one accepted connection."""

    def __init__(self, sock, peer, number, scenario, tls_ctx, log):
        self.sock = sock
        self.peer = peer
        self.number = number
        self.scn = scenario
        self.tls_ctx = tls_ctx
        self.log = log
        self.in_tls = False
        self.inbuf = bytearray()     # bytes read but not yet consumed
        self.pending = bytearray()   # output not yet sent (see flush())
        self.counts = {}             # key -> times fired on this connection
        self.ending = scenario.ending  # line end and byte pacing of the
        self.slow = scenario.slow      # rule playing now (see play())
        timeout = scenario.idle_timeout
        self.sock.settimeout(timeout if timeout > 0 else None)

    # ---- the session ----------------------------------------------------

    def run(self):
        """Play greeting and commands until someone closes.  Always ends
        with a `* close (reason)` line; re-raises Terminated."""
        self.log.marker('connect %d from %s' % (self.number, self.peer))
        reason = 'server closed'
        try:
            self.play('greeting')
            self.command_loop()
        except SessionEnd as e:
            reason = e.reason
        except Terminated:
            reason = 'terminated'
            raise
        finally:
            try:
                self.sock.close()
            except OSError:
                pass
            self.log.marker('close (%s)' % reason)

    def command_loop(self):
        """Read one command line at a time and answer it."""
        while True:
            line = self.read_line()
            self.log_client_line('C: ', line)
            words = line.split(None, 1)
            verb = words[0].decode('latin-1').upper() if words else ''
            if verb in BUILTIN_VERBS or (verb not in SPECIAL_KEYS
                                         and self.scn.has_key(verb)):
                key = verb
            else:
                key = 'default'
            sent = self.play(key)
            if key == 'DATA' and any(l.startswith('354') for l in sent):
                self.read_message()
                self.play('.')
            if key == 'QUIT':
                self.shutdown()
                raise SessionEnd('server closed after QUIT')

    def play(self, key):
        """Run the steps for the next firing of key.

        Returns the reply lines sent (as text), so the caller can tell
        whether DATA was answered with 354.  Output of consecutive steps is
        collected and sent in one write; a step that waits, closes or
        changes the byte pacing sends what is collected first.
        """
        self.counts[key] = self.counts.get(key, 0) + 1
        steps = self.scn.steps_for(key, self.counts[key])
        if steps is None:
            steps = [('builtin', None)]
        expanded = []
        for step in steps:
            if step[0] == 'builtin':
                expanded += builtin_steps(key, self.tls_ctx is not None,
                                          self.in_tls)
            else:
                expanded.append(step)

        self.ending = self.scn.ending
        self.slow = self.scn.slow
        sent = []
        for action, arg in expanded:
            if action == 'line':
                self.pending += arg.encode('utf-8') + self.ending
                sent.append(arg)
            elif action == 'raw':
                self.pending += arg
            elif action == 'garbage':
                self.pending += garbage_bytes(arg)
            elif action == 'overlong':
                code, length = arg
                text = code + 'x' * (length - len(code))
                self.pending += text.encode('ascii') + self.ending
                sent.append(text)
            elif action == 'ending':
                self.ending = arg
            elif action == 'slow':
                self.flush()
                self.slow = arg
            elif action == 'delay':
                self.flush()
                self.log.marker('delay %g' % arg)
                time.sleep(arg)
            elif action == 'none':
                pass
            elif action == 'endless':
                self.flush()
                self.endless(*arg)
            elif action == 'read':
                self.flush()
                self.read_some()
            elif action == 'tls':
                self.flush()
                self.start_tls()
            elif action == 'hang':
                self.flush()
                self.hang()
            elif action == 'close':
                self.flush()
                self.shutdown()
                raise SessionEnd('server closed')
            elif action == 'reset':
                self.flush()
                # SO_LINGER with a zero timeout makes close() send RST.
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     b'\1\0\0\0\0\0\0\0')
                raise SessionEnd('server reset')
            else:
                raise AssertionError('unhandled step %r' % action)
        self.flush()
        return sent

    # ---- output ---------------------------------------------------------

    def flush(self):
        """Log and send the collected output, byte by byte if `slow`."""
        if not self.pending:
            return
        data = bytes(self.pending)
        self.pending.clear()
        self.log.output(data)
        self.send(data, self.slow)

    def send(self, data, slow):
        try:
            if slow > 0:
                for i in range(len(data)):
                    if i:
                        time.sleep(slow)
                    self.sock.sendall(data[i:i + 1])
            else:
                self.sock.sendall(data)
        except socket.timeout:
            raise SessionEnd('idle timeout while sending')
        except OSError as e:
            raise SessionEnd('send failed: %s' % (e.strerror or e))

    def endless(self, code, cap):
        """Send `code-` continuation lines until the client goes away or
        cap lines are out; then send a final `code ` line."""
        sent = 0
        try:
            while sent < cap:
                batch = min(64, cap - sent)
                data = b''.join(('%s-endless line %d' % (code, sent + i + 1))
                                .encode('ascii') + self.ending
                                for i in range(batch))
                if sent == 0:
                    # Log the start only; the rest is summarised below.
                    self.log.output(b''.join(data.splitlines(True)[:3]))
                self.send(data, self.slow)
                sent += batch
        except SessionEnd:
            self.log.marker('endless %d lines, then the client went away'
                            % sent)
            raise
        self.log.marker('endless %d lines' % sent)
        self.pending += ('%s end of endless reply' % code).encode('ascii')
        self.pending += self.ending

    def shutdown(self):
        """Close politely: TLS close_notify (waiting at most a second for
        the client's), then FIN after any queued output."""
        try:
            if self.in_tls:
                self.sock.settimeout(1.0)
                self.sock = self.sock.unwrap()
            self.sock.shutdown(socket.SHUT_WR)
        except (OSError, ValueError):
            pass

    # ---- input ----------------------------------------------------------

    def recv_some(self):
        """One recv(); b'' at end of stream.  Turns timeouts and socket or
        TLS errors into SessionEnd."""
        try:
            return self.sock.recv(RECV_CHUNK)
        except socket.timeout:
            raise SessionEnd('idle timeout')
        except ssl.SSLError as e:
            raise SessionEnd('tls error: %s' % (e.reason or e))
        except OSError as e:
            raise SessionEnd('recv failed: %s' % (e.strerror or e))

    def read_line(self):
        """Return the next client line, LF (and CR) included.

        Ends the session when the client closes (logging any partial last
        line) or sends more than max-line bytes without an LF.
        """
        while True:
            i = self.inbuf.find(b'\n')
            if i >= 0 and i < self.scn.max_line:
                line = bytes(self.inbuf[:i + 1])
                del self.inbuf[:i + 1]
                return line
            if i >= 0 or len(self.inbuf) > self.scn.max_line:
                self.log.marker('client line longer than %d bytes'
                                % self.scn.max_line)
                raise SessionEnd('server closed on over-long line')
            chunk = self.recv_some()
            if not chunk:
                if self.inbuf:
                    self.log_client_line('C: ', bytes(self.inbuf))
                    self.log.marker('last line has no line end')
                    self.inbuf.clear()
                raise SessionEnd('client closed')
            self.inbuf += chunk

    def log_client_line(self, prefix, line):
        """Log a client line without its line end; flag a bare LF."""
        if line.endswith(b'\r\n'):
            self.log.write(prefix, escape(line[:-2]))
        elif line.endswith(b'\n'):
            self.log.write(prefix, escape(line[:-1]))
            self.log.marker('bare-lf')
        else:
            self.log.write(prefix, escape(line))

    def read_message(self):
        """Read DATA content up to the lone "." line, undo dot-stuffing,
        log size and first lines (or all of it with `log-data`)."""
        size = lines = bare_lf = 0
        while True:
            line = self.read_line()
            if line in (b'.\r\n', b'.\n'):
                break
            if line.startswith(b'.'):
                line = line[1:]
            size += len(line)
            lines += 1
            if not line.endswith(b'\r\n'):
                bare_lf += 1
            if self.scn.log_data or lines <= DATA_HEAD_LINES:
                self.log.write('D: ', escape(line.rstrip(b'\r\n')))
        summary = 'data %d bytes %d lines' % (size, lines)
        if bare_lf:
            summary += ' %d bare-lf' % bare_lf
        self.log.marker(summary)

    def read_some(self):
        """`read` step: wait for any client bytes, log a summary, drop them
        (used to swallow a TLS ClientHello before answering garbage)."""
        data = bytes(self.inbuf)
        self.inbuf.clear()
        if not data:
            data = self.recv_some()
            if not data:
                raise SessionEnd('client closed')
        self.log.marker('read %d bytes: %s' % (len(data), escape(data[:16])))

    def hang(self):
        """Send nothing more; log what the client sends until it leaves
        (or the idle timeout ends the connection)."""
        self.log.marker('hang')
        while True:
            self.log_client_line('C: ', self.read_line())

    # ---- TLS ------------------------------------------------------------

    def start_tls(self):
        """Server side TLS handshake with --cert/--key on this socket."""
        if self.in_tls:
            self.log.marker('tls-failed already in TLS')
            raise SessionEnd('server closed')
        if self.inbuf:
            # The client sent bytes before it saw our 220 (pipelined after
            # STARTTLS).  They are not part of the handshake: drop them.
            self.log.marker('tls-discarded %d bytes sent before the handshake'
                            % len(self.inbuf))
            self.inbuf.clear()
        # Wrap without handshaking, so self.sock is the TLS socket (and can
        # be closed) even when the handshake fails.
        self.sock = self.tls_ctx.wrap_socket(
            self.sock, server_side=True, do_handshake_on_connect=False)
        try:
            self.sock.do_handshake()
        except socket.timeout:
            self.log.marker('tls-failed idle timeout')
            raise SessionEnd('idle timeout in TLS handshake')
        except ssl.SSLError as e:
            self.log.marker('tls-failed %s' % (e.reason or e))
            raise SessionEnd('tls handshake failed')
        except OSError as e:
            self.log.marker('tls-failed %s' % (e.strerror or e))
            raise SessionEnd('tls handshake failed')
        self.in_tls = True
        self.log.marker('tls-established %s %s'
                        % (self.sock.version(), self.sock.cipher()[0]))


# --------------------------------------------------------------------------
# Command line and the accept loop
# --------------------------------------------------------------------------

def parse_listen(text):
    """ADDR:PORT or [V6ADDR]:PORT, loopback only -> (family, host, port)."""
    m = re.fullmatch(r'\[([^\]]+)\]:([0-9]+)|([^:\[\]]+):([0-9]+)', text)
    if not m:
        raise ValueError('--listen wants ADDR:PORT or [ADDR]:PORT')
    host = m.group(1) or m.group(3)
    port = int(m.group(2) or m.group(4))
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError('--listen wants a numeric address, got "%s"' % host)
    if not addr.is_loopback:
        raise ValueError('refusing to listen on %s: loopback only '
                         '(127.0.0.0/8 or ::1)' % addr)
    if port > 65535:
        raise ValueError('port %d out of range' % port)
    family = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
    return family, str(addr), port


def write_port_file(path, port):
    """Write the port atomically, so a reader never sees an empty file."""
    tmp = '%s.tmp.%d' % (path, os.getpid())
    with open(tmp, 'w') as f:
        f.write('%d\n' % port)
    os.replace(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog='fakesmtp.py',
        description='Scriptable misbehaving SMTP server for tests.')
    p.add_argument('--listen', required=True, metavar='ADDR:PORT',
                   help='loopback address and port; [::1]:PORT for IPv6; '
                        'port 0 picks a free port')
    p.add_argument('--scenario', required=True, metavar='FILE')
    p.add_argument('--cert', metavar='PEM', help='certificate chain for TLS')
    p.add_argument('--key', metavar='PEM',
                   help='private key (default: taken from --cert)')
    p.add_argument('--log', metavar='FILE', help='append a transcript here')
    p.add_argument('--port-file', metavar='FILE',
                   help='also write the bound port here')
    p.add_argument('--connections', type=int, metavar='N',
                   help='exit after N connections (default: run until '
                        'SIGTERM)')
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)

    def usage_error(msg):
        print('fakesmtp.py: %s' % msg, file=sys.stderr)
        return 2

    try:
        family, host, port = parse_listen(args.listen)
    except ValueError as e:
        return usage_error(e)
    if args.connections is not None and args.connections < 1:
        return usage_error('--connections must be at least 1')
    if args.key and not args.cert:
        return usage_error('--key needs --cert')
    try:
        with open(args.scenario, encoding='utf-8') as f:
            scenario = parse_scenario(f.read(), args.scenario)
    except (OSError, ScenarioError) as e:
        return usage_error(e)

    tls_ctx = None
    if args.cert:
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            tls_ctx.load_cert_chain(args.cert, args.key)
        except (OSError, ssl.SSLError) as e:
            return usage_error('cannot load certificate/key: %s' % e)
    elif scenario.uses_tls():
        return usage_error('%s has a `tls` step: give --cert and --key'
                           % args.scenario)

    def on_signal(signum, frame):
        # Raise once; a second signal during cleanup is ignored.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise Terminated()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # A client vanishing mid-write must be an EPIPE error, not a kill.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    log = Transcript(args.log)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        listener.bind((host, port))
        listener.listen(16)
        port = listener.getsockname()[1]
        if args.port_file:
            write_port_file(args.port_file, port)
        print(port, flush=True)

        served = 0
        while args.connections is None or served < args.connections:
            conn, peer = listener.accept()
            served += 1
            peer_text = ('[%s]:%d' % peer[:2] if family == socket.AF_INET6
                         else '%s:%d' % peer)
            Session(conn, peer_text, served, scenario, tls_ctx, log).run()
    except Terminated:
        return 0
    except OSError as e:
        print('fakesmtp.py: %s' % e, file=sys.stderr)
        return 1
    finally:
        listener.close()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
