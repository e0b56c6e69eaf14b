#!/usr/bin/env python3
"""selftest.py - check fakesmtp.py itself against every example scenario.

Drives each *.scn in this directory with python's smtplib, raw sockets or
`openssl s_client`, and checks the transcript fakesmtp.py wrote.  Prints
one "PASS name" or "FAIL name: why" line per check, like tests/unit, and
exits 1 if anything failed.  TLS checks need the openssl command (for
mkcerts.sh); without it they are reported as SKIP.

Run: python3 tests/scenarios/selftest.py
"""

import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKESMTP = os.path.join(HERE, 'fakesmtp.py')
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout
import fakesmtp  # noqa: E402  (for garbage_bytes)

TMP = tempfile.mkdtemp(prefix='fakesmtp-selftest.')
CERTS = os.path.join(TMP, 'certs')
FAILED = []


class Server:
    """fakesmtp.py on an ephemeral loopback port, with a transcript."""

    def __init__(self, scenario, *extra, listen='127.0.0.1:0',
                 connections=1, cert=None):
        self.log = os.path.join(TMP, 'log.%d' % time.monotonic_ns())
        self.port_file = self.log + '.port'
        if not os.path.isabs(scenario):
            scenario = os.path.join(HERE, scenario)
        cmd = [sys.executable, FAKESMTP, '--listen', listen,
               '--scenario', scenario, '--log', self.log,
               '--port-file', self.port_file]
        if connections:
            cmd += ['--connections', str(connections)]
        if cert:
            cmd += ['--cert', os.path.join(CERTS, cert + '.pem'),
                    '--key', os.path.join(CERTS, cert + '.key')]
        cmd += list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError('no port on stdout: %r %s'
                               % (line, self.proc.stderr.read()))
        self.port = int(line)
        self.host = listen.rsplit(':', 1)[0].strip('[]')

    def wait(self, timeout=5):
        """Wait for exit; return (exit status, transcript lines)."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = 'hung'
        self.proc.stdout.close()
        self.proc.stderr.close()
        with open(self.log) as f:
            return rc, f.read().splitlines()

    def connect(self):
        return socket.create_connection((self.host, self.port), timeout=5)

    def smtp(self):
        return smtplib.SMTP(self.host, self.port, timeout=5)


def check(name, cond, why=''):
    if cond:
        print('PASS %s' % name)
    else:
        print('FAIL %s: %s' % (name, why))
        FAILED.append(name)


def run(name, fn):
    """Run one check function; an exception is a failure."""
    try:
        fn(name)
    except Exception as e:  # report and go on with the next check
        check(name, False, '%s: %s' % (type(e).__name__, e))


def recv_until(sock, end, limit=1 << 20):
    data = b''
    while not data.endswith(end) and len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def send_message(s):
    return s.sendmail('probe@example.org', ['rcpt@example.org'],
                      'Subject: probe\r\n\r\nhello\r\n.stuffed\r\n')


def tls_client(cafile=None):
    ctx = ssl.create_default_context(cafile=cafile or
                                     os.path.join(CERTS, 'ca.pem'))
    return ctx


# ---- one function per example scenario ----------------------------------

def t_ok_plain(name):
    srv = Server('ok-plain.scn')
    s = srv.smtp()
    refused = send_message(s)
    s.quit()
    rc, log = srv.wait()
    check(name, rc == 0 and refused == {}
          and 'S: 220 fake.test ESMTP ok-plain' in log
          and 'S: 250-PIPELINING' in log
          and not any('STARTTLS' in l for l in log)
          and 'D: .stuffed' in log
          and '* data 35 bytes 4 lines' in log
          and 'S: 250 2.0.0 Ok: queued as FAKE123' in log
          and log[-1] == '* close (server closed after QUIT)', log)


def t_greeting_never(name):
    srv = Server('greeting-never.scn')
    c = srv.connect()
    c.settimeout(1)
    try:
        got = c.recv(100)
    except socket.timeout:
        got = None
    c.sendall(b'EHLO early\r\n')
    time.sleep(0.2)
    c.close()
    rc, log = srv.wait()
    check(name, got is None and rc == 0 and not any(
        l.startswith('S:') for l in log) and '* hang' in log
        and 'C: EHLO early' in log and log[-1] == '* close (client closed)',
        (got, log))


def t_greeting_421(name):
    srv = Server('greeting-421.scn')
    try:
        srv.smtp()
        err = None
    except smtplib.SMTPConnectError as e:
        err = e
    rc, log = srv.wait()
    check(name, err is not None and err.smtp_code == 421 and rc == 0
          and not any(l.startswith('C:') for l in log)
          and log[-1] == '* close (server closed)', (err, log))


def rcpt_refused(name, scn, code):
    srv = Server(scn)
    s = srv.smtp()
    try:
        send_message(s)
        err = None
    except smtplib.SMTPRecipientsRefused as e:
        err = e
    s.quit()
    rc, log = srv.wait()
    got = list(err.recipients.values())[0][0] if err else None
    check(name, got == code and rc == 0
          and any(l.startswith('S: %d ' % code) for l in log)
          and not any(l.lower().startswith('c: data') for l in log), log)


def t_ehlo_500_helo_ok(name):
    srv = Server('ehlo-500-helo-ok.scn')
    s = srv.smtp()
    refused = send_message(s)
    s.quit()
    rc, log = srv.wait()
    check(name, refused == {} and rc == 0
          and 'S: 500 5.5.1 Command unrecognized: "EHLO"' in log
          and any(l.startswith('C: helo') for l in log)
          and '* data 35 bytes 4 lines' in log, log)


def t_drop_after_mail(name):
    srv = Server('drop-after-mail.scn')
    s = srv.smtp()
    try:
        send_message(s)
        err = None
    except smtplib.SMTPServerDisconnected as e:
        err = e
    rc, log = srv.wait()
    check(name, err is not None and rc == 0
          and log[-2].startswith('C: mail FROM:')
          and log[-1] == '* close (server closed)', log)


def t_starttls_454(name):
    srv = Server('starttls-454.scn')
    s = srv.smtp()
    try:
        s.starttls()
        err = None
    except smtplib.SMTPResponseException as e:
        err = e
    s.close()
    rc, log = srv.wait()
    check(name, err is not None and err.smtp_code == 454 and rc == 0
          and 'C: STARTTLS' in log
          and 'S: 454 4.7.0 TLS not available due to local problem' in log,
          (err, log))


def t_starttls_garbage(name):
    srv = Server('starttls-garbage.scn')
    s = srv.smtp()
    try:
        s.starttls(context=tls_client())
        err = None
    except ssl.SSLError as e:
        err = e
    s.close()
    rc, log = srv.wait()
    check(name, err is not None and rc == 0
          and any(l.startswith('* read ') and '\\x16\\x03' in l for l in log)
          and '* hang' in log
          and not any(l.startswith('* tls-established') for l in log),
          (err, log))


def t_starttls_inject(name):
    srv = Server('starttls-inject.scn', cert='good')
    c = srv.connect()
    recv_until(c, b'\r\n')
    c.sendall(b'EHLO probe\r\n')
    recv_until(c, b'250 8BITMIME\r\n')
    c.sendall(b'STARTTLS\r\n')
    time.sleep(0.3)             # everything the server sends is here now
    got = c.recv(4096)
    c.close()
    rc, log = srv.wait()
    check(name, got == b'220 2.0.0 Ready to start TLS\r\n'
          b'250-fake.test\r\n250 AUTH PLAIN LOGIN\r\n' and rc == 0
          and 'S: 250 AUTH PLAIN LOGIN' in log
          and any(l.startswith('* tls-failed') for l in log), (got, log))


def t_starttls_ok(name, cert, expect_error):
    srv = Server('starttls-ok.scn', cert=cert)
    s = srv.smtp()
    try:
        s.starttls(context=tls_client())
        send_message(s)
        s.quit()
        err = None
    except ssl.SSLCertVerificationError as e:
        err = e.verify_message
        s.close()
    rc, log = srv.wait()
    ehlos = [i for i, l in enumerate(log) if l.lower().startswith('c: ehlo')]
    if expect_error:
        ok = (err is not None and expect_error in err
              and any(l.startswith('* tls-failed') for l in log)
              and not any(l.lower().startswith('c: mail') for l in log))
    else:
        # EHLO#1 offers STARTTLS, EHLO#2 (over TLS) offers AUTH instead.
        ok = (err is None and len(ehlos) == 2
              and 'S: 250-STARTTLS' in log[ehlos[0]:ehlos[1]]
              and 'S: 250-AUTH PLAIN' in log[ehlos[1]:]
              and any(l.startswith('* tls-established TLSv1.') for l in log)
              and 'S: 250 2.0.0 Ok: queued as FAKE123' in log)
    check(name, ok and rc == 0, (err, log))


def t_starttls_s_client(name):
    """openssl s_client -starttls smtp against a good and an expired cert."""
    for cert, want in (('good', 'Verify return code: 0 (ok)'),
                       ('expired', 'Verify return code: 10 '
                                   '(certificate has expired)')):
        srv = Server('starttls-ok.scn', cert=cert)
        out = subprocess.run(
            ['openssl', 's_client', '-starttls', 'smtp', '-connect',
             '127.0.0.1:%d' % srv.port, '-CAfile',
             os.path.join(CERTS, 'ca.pem'), '-verify_hostname', 'localhost'],
            input='EHLO after-tls\r\nQUIT\r\n', capture_output=True,
            text=True, timeout=10).stdout
        rc, log = srv.wait()
        if not (want in out and rc == 0
                and any(l.startswith('* tls-established') for l in log)
                and 'C: EHLO after-tls' in log
                and 'S: 250-AUTH PLAIN' in log):
            check(name, False, (cert, out[-300:], log))
            return
    check(name, True)


def t_data_452(name):
    srv = Server('data-452.scn')
    s = srv.smtp()
    try:
        send_message(s)
        err = None
    except smtplib.SMTPDataError as e:
        err = e
    s.quit()
    rc, log = srv.wait()
    check(name, err is not None and err.smtp_code == 452 and rc == 0
          and log[log.index('* data 35 bytes 4 lines') + 1]
          == 'S: 452 4.3.1 Insufficient system storage', (err, log))


def t_garbage_greeting(name):
    srv = Server('garbage-greeting.scn')
    c = srv.connect()
    got = recv_until(c, b'\r\n')
    c.close()
    rc, log = srv.wait()
    check(name, got == fakesmtp.garbage_bytes(48) + b'\0\r\n'
          and rc == 0 and log[1].startswith('S: ')
          and log[1].endswith('\\x00'), log)


def t_overlong_line(name):
    srv = Server('overlong-line.scn')
    c = srv.connect()
    got = recv_until(c, b'\r\n')
    c.close()
    rc, log = srv.wait()
    check(name, len(got) == 70002 and got.startswith(b'220 xxx') and rc == 0
          and log[1].endswith('[... 70000 characters]'), (len(got), log))


def t_endless_multiline(name):
    srv = Server('endless-multiline.scn')
    c = srv.connect()
    recv_until(c, b'\r\n')
    c.sendall(b'EHLO probe\r\n')
    got = b''
    while got.count(b'\n') < 5000:
        got += c.recv(65536)
    c.close()                   # a probe that gives up on its cap
    rc, log = srv.wait()
    lines = got.split(b'\r\n')
    check(name, lines[0] == b'250-fake.test'
          and lines[1] == b'250-endless line 1' and rc == 0
          and any(l.startswith('* endless ') and 'client went away' in l
                  for l in log), log[-4:])


def t_endless_cap(name):
    scn = os.path.join(TMP, 'endless-cap.scn')
    with open(scn, 'w') as f:
        f.write('greeting: endless 220 3\n')
    srv = Server(scn)
    c = srv.connect()
    got = recv_until(c, b'reply\r\n')
    c.close()
    rc, log = srv.wait()
    check(name, got == b'220-endless line 1\r\n220-endless line 2\r\n'
          b'220-endless line 3\r\n220 end of endless reply\r\n'
          and '* endless 3 lines' in log
          and 'S: 220 end of endless reply' in log, (got, log))


def t_slow_greeting(name):
    srv = Server('slow-greeting.scn')
    c = srv.connect()
    start = time.monotonic()
    chunks = []
    while b''.join(chunks)[-2:] != b'\r\n':
        chunks.append(c.recv(100))
    elapsed = time.monotonic() - start
    c.close()
    rc, log = srv.wait()
    check(name, b''.join(chunks) == b'220 fake.test slow ESMTP\r\n'
          and len(chunks) >= 20 and 4.5 < elapsed < 6.5 and rc == 0,
          (len(chunks), elapsed))


def t_lf_only(name):
    srv = Server('lf-only.scn')
    c = srv.connect()
    greeting = recv_until(c, b'\n')
    c.sendall(b'EHLO probe\r\n')
    ehlo = recv_until(c, b'8BITMIME\n')
    c.sendall(b'QUIT\n')        # bare LF from the client is flagged
    bye = recv_until(c, b'\n')
    c.close()
    rc, log = srv.wait()
    check(name, greeting == b'220 fake.test ESMTP fakesmtp\n'
          and b'\r' not in ehlo + bye and bye.startswith(b'221 ')
          and log.count('* bare-lf') == 1
          and log[log.index('* bare-lf') - 1] == 'C: QUIT', log)


# ---- server mechanics ------------------------------------------------------

def t_sigterm(name):
    """SIGTERM exits within a second: idle, in recv, in a delay, in a TLS
    handshake, while sending slowly."""
    cases = {
        'accept': ('ok-plain.scn', None, None),
        'recv': ('greeting-never.scn', None, b''),
        'delay': (None, 'greeting: delay 30\n', b''),
        'slow': (None, 'greeting: slow 1\ngreeting: 220 slow\n', b''),
        'tls-handshake': (None, 'greeting: tls\n', b''),
    }
    for case, (scn, text, send) in cases.items():
        if text is not None:
            scn = os.path.join(TMP, 'sigterm-%s.scn' % case)
            with open(scn, 'w') as f:
                f.write(text)
        srv = Server(scn, connections=0,
                     cert='good' if case == 'tls-handshake' else None)
        c = srv.connect() if send is not None else None
        time.sleep(0.3)
        start = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        rc, log = srv.wait()
        elapsed = time.monotonic() - start
        if c:
            c.close()
        ok = rc == 0 and elapsed < 1.0
        if send is not None:
            ok = ok and log[-1] == '* close (terminated)'
        if not ok:
            check(name, False, (case, rc, elapsed, log))
            return
    check(name, True)


def t_ipv6(name):
    if not socket.has_ipv6:
        print('SKIP %s: no IPv6' % name)
        return
    try:
        socket.socket(socket.AF_INET6).bind(('::1', 0))
    except OSError:
        print('SKIP %s: no ::1' % name)
        return
    srv = Server('ok-plain.scn', listen='[::1]:0')
    s = srv.smtp()
    send_message(s)
    s.quit()
    rc, log = srv.wait()
    with open(srv.port_file) as f:
        port = int(f.read())
    check(name, rc == 0 and port == srv.port
          and log[0].startswith('* connect 1 from [::1]:'), log)


def t_many_connections(name):
    """--connections 3: three sessions, each from the start; #N counts per
    connection."""
    scn = os.path.join(TMP, 'nth.scn')
    with open(scn, 'w') as f:
        f.write('NOOP#2: 250 second noop\nNOOP: 250 other noop\n')
    srv = Server(scn, connections=3)
    for _ in range(3):
        s = srv.smtp()
        a, b = s.noop(), s.noop()
        s.quit()
    rc, log = srv.wait()
    check(name, rc == 0 and a[1] == b'other noop' and b[1] == b'second noop'
          and log.count('S: 250 second noop') == 3
          and sum(l.startswith('* connect') for l in log) == 3, log)


def t_steps(name):
    """builtin, delay, reset, raw escapes, default, log-data."""
    scn = os.path.join(TMP, 'steps.scn')
    with open(scn, 'w') as f:
        f.write('log-data\n'
                'greeting: delay 0.2\ngreeting: builtin\n'
                'default: 500 5.5.2 what\n'
                'VRFY: raw 252 \\x41\\\\b\\r\\n\n'
                'RSET: reset\n')
    srv = Server(scn)
    s = srv.smtp()
    vrfy = s.verify('x')
    other = s.docmd('XYZZY')
    s.sendmail('a@b', ['c@d'], '\r\n'.join('line %d' % i for i in range(20)))
    try:
        s.rset()
        reset = None
    except (smtplib.SMTPServerDisconnected, ConnectionError) as e:
        reset = e
    rc, log = srv.wait()
    check(name, rc == 0 and vrfy == (252, b'A\\b') and other[0] == 500
          and '* delay 0.2' in log and 'S: 220 fake.test ESMTP fakesmtp' in log
          and 'D: line 19' in log and reset is not None
          and log[-1] == '* close (server reset)', (vrfy, other, log))


def t_long_client_line(name):
    srv = Server('ok-plain.scn')
    c = srv.connect()
    recv_until(c, b'\r\n')
    try:
        c.sendall(b'X' * 200000)
    except OSError:
        pass
    c.close()
    rc, log = srv.wait()
    check(name, rc == 0 and '* client line longer than 65536 bytes' in log,
          log)


def t_bad_usage(name):
    """Non-loopback address, scenario error, tls without cert: exit 2."""
    bad = os.path.join(TMP, 'bad.scn')
    with open(bad, 'w') as f:
        f.write('# ok\nRCPT: sing loudly\n')
    tls = os.path.join(HERE, 'starttls-ok.scn')
    results = []
    for args in (['--listen', '0.0.0.0:0', '--scenario', tls],
                 ['--listen', '127.0.0.1:0', '--scenario', bad],
                 ['--listen', '127.0.0.1:0', '--scenario', tls]):
        p = subprocess.run([sys.executable, FAKESMTP] + args,
                           capture_output=True, text=True, timeout=5)
        results.append((p.returncode, p.stdout, p.stderr.strip()))
    check(name, all(r[0] == 2 and r[1] == '' for r in results)
          and 'bad.scn:2: unknown step "sing"' in results[1][2], results)


def main():
    have_openssl = shutil.which('openssl') is not None
    if have_openssl:
        subprocess.run([os.path.join(HERE, 'mkcerts.sh'), CERTS], check=True)
    run('ok-plain', t_ok_plain)
    run('greeting-never', t_greeting_never)
    run('greeting-421', t_greeting_421)
    run('rcpt-451', lambda n: rcpt_refused(n, 'rcpt-451.scn', 451))
    run('rcpt-550', lambda n: rcpt_refused(n, 'rcpt-550.scn', 550))
    run('ehlo-500-helo-ok', t_ehlo_500_helo_ok)
    run('drop-after-mail', t_drop_after_mail)
    run('starttls-454', t_starttls_454)
    run('data-452', t_data_452)
    run('garbage-greeting', t_garbage_greeting)
    run('overlong-line', t_overlong_line)
    run('endless-multiline', t_endless_multiline)
    run('endless-cap', t_endless_cap)
    run('slow-greeting', t_slow_greeting)
    run('lf-only', t_lf_only)
    run('connections-3', t_many_connections)
    run('steps', t_steps)
    run('long-client-line', t_long_client_line)
    run('bad-usage', t_bad_usage)
    run('ipv6', t_ipv6)
    if have_openssl:
        run('starttls-garbage', t_starttls_garbage)
        run('starttls-inject', t_starttls_inject)
        run('starttls-ok-good', lambda n: t_starttls_ok(n, 'good', None))
        run('starttls-ok-expired',
            lambda n: t_starttls_ok(n, 'expired', 'expired'))
        run('starttls-ok-wronghost',
            lambda n: t_starttls_ok(n, 'wronghost', 'mismatch'))
        run('starttls-ok-selfsigned',
            lambda n: t_starttls_ok(n, 'selfsigned', 'self-signed'))
        run('starttls-s_client', t_starttls_s_client)
        run('sigterm', t_sigterm)
    else:
        print('SKIP TLS checks and sigterm: no openssl command')
    shutil.rmtree(TMP, ignore_errors=True)
    print('%d failed' % len(FAILED))
    return 1 if FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
