"""STARTTLS on, auto and off, and the certificate facts administrators need.

Real Postfix listeners carry the successful cases (127.0.0.21 with a lab-CA
certificate, .22 without STARTTLS, .23 self-signed, .24 expired, .25 for
another host name); fakesmtp.py plays the servers that break STARTTLS.
"""

import os

from lib import ROOT, check


def _args(ctx, server, *extra, fmt="json"):
    return ctx.lab_args(server=server, extra=("--format", fmt) + extra)


def _run(ctx, server, *extra):
    return ctx.mailive(*_args(ctx, server, *extra))


def _fake(ctx, scenario, with_cert=False):
    cert = key = None
    if with_cert:
        certs = os.path.join(ctx.tmp, "certs")
        import subprocess
        subprocess.run(["sh", os.path.join(ROOT, "tests", "scenarios",
                                           "mkcerts.sh"), certs],
                       check=True, capture_output=True)
        cert, key = (os.path.join(certs, "good.pem"),
                     os.path.join(certs, "good.key"))
    return ctx.fake(scenario, cert=cert, key=key)


def _fake_args(ctx, fake, *extra):
    return ctx.lab_args(server="127.0.0.1", extra=(
        "--port", str(fake.port), "--timeout", "6", "--format", "json")
        + extra)


# --- on ----------------------------------------------------------------

def test_on_ok_with_tls_facts(ctx):
    r = _run(ctx, ctx.env["LAB_SMTP_TLS"], "--tls", "on")
    check(r.rc == 0, "OK", r)
    s = r.json["smtp"]
    check(s["tls"] is True, "TLS used", r)
    t = s["tls_session"]
    for key in ("version", "cipher", "verify_result"):
        check(t[key], key, r)
    c = t["certificate"]
    for key in ("subject", "issuer", "not_before", "not_after", "sha256"):
        check(c[key], "certificate " + key, r)
    check(c["subject"] == "CN=mx.sut.test", "subject", r)
    check(c["issuer"] == "CN=mailive lab CA", "issuer", r)
    t = ctx.mailive(*_args(ctx, ctx.env["LAB_SMTP_TLS"], "--tls", "on",
                           fmt="text"))
    for needle in ("tls         TLSv1.", "certificate CN=mx.sut.test",
                   "issuer CN=mailive lab CA", "days left", "sha256 ",
                   "verified: yes"):
        check(needle in t.stdout, "text shows %r" % needle, t)


def test_on_critical_when_not_offered(ctx):
    r = _run(ctx, ctx.env["LAB_SMTP_PLAIN"], "--tls", "on", "-v")
    check(r.rc == 2, "CRITICAL", r)
    e = r.json["errors"][0]
    check(e["class"] == "tls" and e["stage"] == "starttls", "TLS failure", r)
    check("does not offer STARTTLS" in e["message"], "says so", r)
    check(">>> MAIL" not in r.stderr, "nothing sent in plain text", r)


def test_on_critical_when_refused(ctx):
    fake = _fake(ctx, "starttls-454.scn")
    r = ctx.mailive(*_fake_args(ctx, fake, "--tls", "on"))
    check(r.rc == 2, "CRITICAL", r)
    e = r.json["errors"][0]
    check(e["class"] == "tls" and e["code"] == 454 and
          e["stage"] == "starttls", "the 454 shown", r)
    check("MAIL FROM" not in fake.transcript(), "no mail in plain text", r)


def test_on_critical_when_the_handshake_fails(ctx):
    fake = _fake(ctx, "starttls-garbage.scn")
    r = ctx.mailive(*_fake_args(ctx, fake, "--tls", "on"))
    check(r.rc == 2, "CRITICAL", r)
    e = r.json["errors"][0]
    check(e["class"] in ("tls", "timeout") and
          e["stage"] == "tls-handshake", "handshake failure", r)
    check("handshake" in e["message"], "says handshake", r)


# --- auto --------------------------------------------------------------

def test_auto_uses_tls_when_offered_and_plain_when_not(ctx):
    r = _run(ctx, ctx.env["LAB_SMTP_TLS"])
    check(r.rc == 0 and r.json["smtp"]["tls"] is True, "TLS when offered", r)
    r = _run(ctx, ctx.env["LAB_SMTP_PLAIN"])
    check(r.rc == 0 and r.json["smtp"]["tls"] is False, "plain when not", r)


def test_auto_critical_when_the_handshake_fails(ctx):
    fake = _fake(ctx, "starttls-garbage.scn")
    r = ctx.mailive(*_fake_args(ctx, fake))
    check(r.rc == 2, "CRITICAL, no fallback to plain text", r)
    check(r.json["errors"][0]["stage"] == "tls-handshake", "handshake", r)
    check(fake.transcript().count("C: MAIL") == 0, "no MAIL sent", r)


def test_injected_plaintext_is_discarded(ctx):
    fake = _fake(ctx, "starttls-inject.scn", with_cert=True)
    r = ctx.mailive(*_fake_args(ctx, fake, "-v"))
    j = r.json
    check(j["smtp"]["tls"] is True, "TLS established", r)
    check(j["smtp"].get("starttls_discarded_bytes", 0) > 0,
          "the injected bytes were counted and dropped", r)
    check(j["smtp"]["delivered"] is True, "delivered over TLS", r)
    check("discarded" in r.stderr, "-v says so", r)


# --- off ---------------------------------------------------------------

def test_off_never_sends_starttls_and_says_it_was_offered(ctx):
    r = _run(ctx, ctx.env["LAB_SMTP_TLS"], "--tls", "off", "-v")
    check(r.rc == 0, "OK", r)
    s = r.json["smtp"]
    check(s["tls"] is False and s["starttls_offered"] is True, "facts", r)
    check("250-STARTTLS" in r.stderr and ">>> STARTTLS" not in r.stderr,
          "offered in the transcript, never sent", r)
    t = ctx.mailive(*_args(ctx, ctx.env["LAB_SMTP_TLS"], "--tls", "off",
                           fmt="text"))
    check("STARTTLS offered, not used" in t.stdout, "text says so", t)


# --- verification ------------------------------------------------------

def test_self_signed_reported_unverified_but_ok(ctx):
    r = _run(ctx, ctx.env["LAB_SMTP_SELFSIGNED"])
    check(r.rc == 0, "OK by default", r)
    t = r.json["smtp"]["tls_session"]
    check(t["verified"] is False and "self-signed" in t["verify_result"],
          "self-signed reported", r)


def test_self_signed_critical_with_tls_verify(ctx):
    r = _run(ctx, ctx.env["LAB_SMTP_SELFSIGNED"], "--tls-verify")
    check(r.rc == 2, "CRITICAL", r)
    e = r.json["errors"][0]
    check(e["class"] == "tls" and "self-signed" in e["message"] and
          "--tls-verify" in e["message"], "says why", r)


def test_expired_certificate_reported(ctx):
    r = _run(ctx, ctx.env["LAB_SMTP_EXPIRED"])
    check(r.rc == 0, "OK by default", r)
    t = r.json["smtp"]["tls_session"]
    check(t["verified"] is False and "expired" in t["verify_result"],
          "expiry reported", r)
    check(t["certificate"]["days_left"] < 0, "negative days_left", r)
    check(t["certificate"]["not_after"].startswith("2020-02-01"),
          "not_after", r)
    r = _run(ctx, ctx.env["LAB_SMTP_EXPIRED"], "--cert-crit", "7")
    check(r.rc == 2 and "expired" in r.json["summary"],
          "--cert-crit turns it CRITICAL", r)


def test_wrong_host_name_reported(ctx):
    r = _run(ctx, ctx.env["LAB_SMTP_WRONGHOST"])
    check(r.rc == 0, "OK by default", r)
    t = r.json["smtp"]["tls_session"]
    check(t["verified"] is False, "unverified", r)
    check(t["certificate"]["hostname_match"] is False, "name mismatch", r)
    check("hostname" in t["verify_result"].lower(), "reason names it", r)


def test_cert_warn_gives_warning(ctx):
    r = _run(ctx, ctx.env["LAB_SMTP_TLS"], "--cert-warn", "400")
    check(r.rc == 1, "exit 1 (WARNING)", r)
    j = r.json
    check(j["status"] == "WARNING", "status", r)
    check(j["roundtrip"]["returned"] is True, "the copy still came back", r)
    check("expires in" in j["summary"] and "--cert-warn 400" in j["summary"],
          "summary says why", r)
    check(j["warnings"][0]["stage"] == "tls-certificate", "listed", r)
    r = _run(ctx, ctx.env["LAB_SMTP_TLS"], "--cert-warn", "30")
    check(r.rc == 0, "a year left is fine with --cert-warn 30", r)


def test_failover_with_tls_on_past_an_mx_without_starttls(ctx):
    env = ctx.env
    r = ctx.mailive("--to", "probe@fo-notls.test", "--mode", "failover",
                    "--dns-server", env["LAB_DNS"], "--tls", "on",
                    "--return-address", env["LAB_RETURN"],
                    "--imap", env["LAB_IMAP_URL"],
                    "--imap-user", env["LAB_IMAP_USER"],
                    "--imap-password-file", env["LAB_IMAP_PASSWORD_FILE"],
                    "--ca-file", env["LAB_CA_FILE"], "--poll-interval", "0.1",
                    "--timeout", "30", "--format", "json")
    check(r.rc == 0, "OK", r)
    a = r.json["attempts"]
    check([x["address"] for x in a] == [env["LAB_SMTP_PLAIN"],
                                        env["LAB_SMTP_TLS"]],
          "the MX without STARTTLS first, then the one with it", r)
    check(a[0]["class"] == "tls" and a[1]["result"] == "delivered", "why", r)
    check(r.json["smtp"]["tls"] is True, "delivered over TLS", r)
