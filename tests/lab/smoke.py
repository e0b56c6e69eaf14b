#!/usr/bin/env python3
"""tests/lab/smoke.py - check a running lab end to end (stdlib only).

    tests/lab/lab.sh up && python3 tests/lab/smoke.py

Reads the env file of the lab (${MAILIVE_LAB_DIR:-/tmp/mailive-lab}/env) and
checks DNS records, the SMTP listeners and their replies, delivery into the
return Maildir and IMAP/IMAPS access to it.  Prints one line per check and
exits 0 when all pass, 1 otherwise, 77 when the lab is not up.
"""
import imaplib
import os
import random
import smtplib
import socket
import ssl
import struct
import sys
import time
import uuid

FAILED = []


def check(name, ok, detail=""):
    print("%s %s%s" % ("ok  " if ok else "FAIL", name, (": " + detail) if detail else ""))
    if not ok:
        FAILED.append(name)


def load_env():
    path = os.path.join(os.environ.get("MAILIVE_LAB_DIR", "/tmp/mailive-lab"), "env")
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        print("lab not up (no %s)" % path, file=sys.stderr)
        sys.exit(77)
    return dict(line.split("=", 1) for line in lines if "=" in line)


# ------------------------------------------------------------------ DNS --

def dns_query(server, port, name, qtype):
    """Returns (rcode, aa, [(type, rdata-bytes, message)])."""
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(q, (server, port))
        msg = s.recv(4096)
    rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    assert rid == qid
    pos = 12
    for _ in range(qd):
        pos = skip_name(msg, pos) + 4
    answers = []
    for _ in range(an):
        pos = skip_name(msg, pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
        pos += 10
        answers.append((rtype, pos, msg))
        pos += rdlen
    return flags & 0xF, bool(flags & 0x0400), answers


def skip_name(msg, pos):
    while True:
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += n + 1


def read_name(msg, pos):
    labels = []
    while True:
        n = msg[pos]
        if n == 0:
            return ".".join(labels)
        if n & 0xC0 == 0xC0:
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            continue
        labels.append(msg[pos + 1:pos + 1 + n].decode())
        pos += n + 1


def dns_rrs(server, port, name, qtype):
    rcode, _, answers = dns_query(server, port, name, qtype)
    out = []
    for rtype, pos, msg in answers:
        if rtype != qtype:
            continue
        if qtype == 1:
            out.append(socket.inet_ntop(socket.AF_INET, msg[pos:pos + 4]))
        elif qtype == 28:
            out.append(socket.inet_ntop(socket.AF_INET6, msg[pos:pos + 16]))
        elif qtype == 15:
            pref = struct.unpack(">H", msg[pos:pos + 2])[0]
            out.append("%d %s" % (pref, read_name(msg, pos + 2) or "."))
    return rcode, sorted(out)


def check_dns(env):
    server, port = env["LAB_DNS"].rsplit(":", 1)
    port = int(port)
    want = [
        ("sut.test", 15, ["10 mx1.sut.test"]),
        ("mx1.sut.test", 1, ["127.0.0.21"]),
        ("mx-plain.sut.test", 1, ["127.0.0.22"]),
        ("mx6.sut.test", 28, ["::1"]),
        ("imap.lab.test", 1, ["127.0.0.30"]),
        ("two-mx.test", 15, ["10 a.two-mx.test", "20 b.two-mx.test"]),
        ("a.two-mx.test", 1, ["127.0.0.21"]),
        ("b.two-mx.test", 1, ["127.0.0.22"]),
        ("equal-mx.test", 15, ["10 e1.equal-mx.test", "10 e2.equal-mx.test"]),
        ("e1.equal-mx.test", 1, ["127.0.0.21"]),
        ("e2.equal-mx.test", 1, ["127.0.0.22"]),
        ("nullmx.test", 15, ["0 ."]),
        ("implicit.test", 15, []),
        ("implicit.test", 1, ["127.0.0.21"]),
        ("direct-vs-mx.test", 15, ["10 mx.direct-vs-mx.test"]),
        ("direct-vs-mx.test", 1, ["127.0.0.21"]),
        ("mx.direct-vs-mx.test", 1, ["127.0.0.22"]),
    ]
    tname = {1: "A", 15: "MX", 28: "AAAA"}
    for name, qtype, expect in want:
        try:
            rcode, got = dns_rrs(server, port, name, qtype)
            check("dns %s %s" % (name, tname[qtype]), rcode == 0 and got == expect,
                  "rcode %d %s" % (rcode, got))
        except (OSError, AssertionError) as e:
            check("dns %s %s" % (name, tname[qtype]), False, str(e))
    rcode, got = dns_rrs(server, port, "nosuchname.test", 1)
    check("dns nosuchname.test NXDOMAIN", rcode == 3, "rcode %d" % rcode)
    # Never forwarded: a name outside "test" gets no answer records.
    rcode, got = dns_rrs(server, port, "example.com", 1)
    check("dns example.com not answered", got == [], "rcode %d %s" % (rcode, got))


# ----------------------------------------------------------------- SMTP --

def tls_context(env):
    return ssl.create_default_context(cafile=env["LAB_CA_FILE"])


def rcpt_reply(host, rcpt, env):
    with smtplib.SMTP(host, 25, timeout=5) as s:
        s.ehlo("client.test")
        s.mail(env["LAB_RETURN"])
        code, msg = s.rcpt(rcpt)
        s.rset()
    return code, msg.decode()


def send(host, token, env, starttls=False, server_hostname=None):
    msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: lab smoke %s\r\nMessage-ID: <%s@client.test>\r\n\r\n"
           "smoke test %s\r\n" % (env["LAB_RETURN"], env["LAB_TO"], token, token, token))
    with smtplib.SMTP(host, 25, timeout=5) as s:
        s.ehlo("client.test")
        has_tls = s.has_extn("starttls")
        if starttls:
            ctx = tls_context(env)
            # smtplib takes the name to verify from the connection's host
            s._host = server_hostname or host
            s.starttls(context=ctx)
            s.ehlo("client.test")
        s.mail(env["LAB_RETURN"])
        s.rcpt(env["LAB_TO"])
        code, reply = s.data(msg.encode())
    return has_tls, code, reply.decode()


def wait_maildir(env, token, timeout=10):
    t0 = time.monotonic()
    md = env["LAB_MAILDIR"]
    while time.monotonic() - t0 < timeout:
        for sub in ("new", "cur"):
            d = os.path.join(md, sub)
            for fn in os.listdir(d):
                try:
                    with open(os.path.join(d, fn), "rb") as f:
                        if token.encode() in f.read():
                            return time.monotonic() - t0, os.path.join(d, fn)
                except OSError:
                    pass
        time.sleep(0.005)
    return None, None


def check_smtp(env):
    tls, plain, v6 = env["LAB_SMTP_TLS"], env["LAB_SMTP_PLAIN"], env["LAB_SMTP_V6"]
    tokens = []
    cases = [(tls, False, None), (tls, True, "mx1.sut.test"), (tls, True, "127.0.0.21"),
             (plain, False, None)]
    if v6:
        cases.append((v6, True, "mx6.sut.test"))
    for host, starttls, sni in cases:
        token = uuid.uuid4().hex
        name = "smtp %s%s" % (host, " starttls verify " + sni if starttls else "")
        try:
            has_tls, code, reply = send(host, token, env, starttls, sni)
            check(name, code == 250 and reply.startswith("2.0.0 Ok: queued as"),
                  "%d %s" % (code, reply))
            tokens.append((token, name))
        except (OSError, smtplib.SMTPException, ssl.SSLError) as e:
            check(name, False, repr(e))
            has_tls = None
        if not starttls:
            check("smtp %s offers STARTTLS: %s" % (host, host != plain), has_tls == (host != plain))
    for token, name in tokens:
        dt, path = wait_maildir(env, token)
        check("delivered (%s)" % name, dt is not None,
              "%.0f ms after DATA reply" % (dt * 1000) if dt is not None else "not in Maildir after 10 s")
        if path and "starttls" in name:
            with open(path, "rb") as f:
                hdr = f.read().split(b"\n\n", 1)[0]
            check("Received header shows TLS (%s)" % name, b"(using TLS" in hdr)
    # Postfix words an access-table reply as
    # "550 5.1.1 <reject550@sut.test>: Recipient address rejected: rejected by lab".
    for rcpt, want in (("reject550@sut.test", (550, "5.1.1 ", "rejected by lab")),
                       ("defer451@sut.test", (451, "4.3.0 ", "deferred by lab")),
                       ("nobody@sut.test", (550, "5.1.1 ", "User unknown in virtual alias table")),
                       ("someone@example.com", (554, "5.7.1 ", "Relay access denied"))):
        for host in filter(None, (tls, plain, v6)):
            code, msg = rcpt_reply(host, "<%s>" % rcpt, env)
            check("rcpt %s via %s" % (rcpt, host),
                  code == want[0] and msg.startswith(want[1]) and msg.endswith(want[2]),
                  "%d %s" % (code, msg))
    return tokens


# ----------------------------------------------------------------- IMAP --

def check_imap(env, tokens):
    with open(env["LAB_IMAP_PASSWORD_FILE"]) as f:
        pw = f.read()
    check("imap password file has no trailing newline", not pw.endswith("\n"))
    user = env["LAB_IMAP_USER"]
    host = env["LAB_IMAP_URL"].split("/")[2]
    for kind in ("imap", "imaps"):
        try:
            t0 = time.monotonic()
            if kind == "imap":
                c = imaplib.IMAP4(host, 143, timeout=5)
            else:
                c = imaplib.IMAP4_SSL(host, 993, ssl_context=tls_context(env), timeout=5)
            c.login(user, pw)
            c.select("INBOX", readonly=True)
            dt = time.monotonic() - t0
            for token, name in tokens[:1]:
                typ, data = c.search(None, "SUBJECT", token)
                check("%s finds the message (%s)" % (kind, name), typ == "OK" and data[0] != b"",
                      "login+select %.0f ms" % (dt * 1000))
            c.logout()
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as e:
            check("%s login" % kind, False, repr(e))
    ctx = tls_context(env)
    ctx.check_hostname = True
    try:
        with socket.create_connection((host, 993), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="imap.lab.test"):
                check("imaps certificate valid for imap.lab.test", True)
    except (OSError, ssl.SSLError) as e:
        check("imaps certificate valid for imap.lab.test", False, repr(e))


def main():
    env = load_env()
    check_dns(env)
    tokens = check_smtp(env)
    check_imap(env, tokens)
    if FAILED:
        print("%d check(s) failed" % len(FAILED))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
