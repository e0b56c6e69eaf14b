"""A real round trip through the lab: Postfix forwards, Dovecot serves it."""

import re

from lib import check


def _ok_json(ctx, *extra, server=None, imap=None):
    r = ctx.mailive(*ctx.lab_args(server=server, imap=imap,
                                  extra=("--format", "json") + extra))
    check(r.rc == 0, "expected exit 0 (OK)", r)
    j = r.json
    check(j["status"] == "OK" and j["exit_code"] == 0, "status OK", r)
    return r, j


def test_json_round_trip_holds_what_an_admin_needs(ctx):
    r, j = _ok_json(ctx)
    env = ctx.env
    check(re.fullmatch(r"[0-9a-f]{32}", j["token"]) is not None,
          "token is 128 bits of hex", r)
    check(j["target"]["to"] == env["LAB_TO"], "target.to", r)
    check(j["target"]["mode"] == "direct", "target.mode", r)
    check(j["target"]["domain"] == env["LAB_TO"].split("@")[1],
          "target.domain", r)
    s = j["smtp"]
    check(s["address"] == env["LAB_SMTP_TLS"] and s["port"] == 25,
          "smtp address and port", r)
    for phase in ("connect", "greeting", "ehlo", "mail", "rcpt", "data",
                  "message", "total"):
        check(isinstance(s["timings_ms"].get(phase), (int, float)),
              "timing for %s" % phase, r)
    check(s["reply"].startswith("250 ") and "queued as" in s["reply"],
          "the final reply with Postfix's queue id", r)
    check(s["queue_id"] and s["queue_id"] in s["reply"], "queue_id", r)
    rt = j["roundtrip"]
    check(rt["returned"] is True, "roundtrip.returned", r)
    check(0 < rt["seconds"] < 30, "roundtrip.seconds plausible", r)
    check(rt["deleted"] is True, "copy deleted", r)
    check(rt["returned_as"] == "copy", "the forwarded copy", r)
    check(j["errors"] == [], "no errors", r)
    check(len(j["attempts"]) == 1 and
          j["attempts"][0]["result"] == "delivered", "one attempt", r)
    check(ctx.maildir_files_with(j["token"]) == [],
          "the copy is gone from the Maildir", r)


def test_keep_leaves_the_copy(ctx):
    r, j = _ok_json(ctx, "--keep")
    files = ctx.maildir_files_with(j["token"])
    check(len(files) == 1, "the copy is still in the Maildir", r)
    check(j["roundtrip"]["deleted"] is False, "roundtrip.deleted false", r)
    # the lab mailbox is shared by every test: tidy up
    import os
    for f in files:
        os.unlink(f)


def test_text_output_summarises_the_run(ctx):
    r = ctx.mailive(*ctx.lab_args())
    check(r.rc == 0, "exit 0", r)
    out = r.stdout
    check(out.startswith("mailive OK: round trip "), "status line", r)
    for needle in ("server", ctx.env["LAB_SMTP_TLS"], "smtp ", "connect ",
                   "reply       250 ", "queued as", "round trip",
                   "(copy seen", "deleted)", "TLSv1."):
        check(needle in out, "text output mentions %r" % needle, r)


def test_imaps_with_the_lab_ca(ctx):
    _ok_json(ctx, imap=ctx.env["LAB_IMAPS_URL"])


def test_password_from_the_environment(ctx):
    args = [a for a in ctx.lab_args()]
    i = args.index("--imap-password-file")
    del args[i:i + 2]
    r = ctx.mailive(*args, "--format", "json",
                    password_env=ctx.imap_password())
    check(r.rc == 0, "exit 0 with MAILIVE_IMAP_PASSWORD", r)


def test_tls_auto_uses_starttls_when_offered(ctx):
    r, j = _ok_json(ctx)
    s = j["smtp"]
    check(s["tls"] is True and s["starttls_offered"] is True, "TLS used", r)
    t = s["tls_session"]
    check(t["version"].startswith("TLSv1."), "TLS version", r)
    check(t["cipher"] and t["cipher_bits"] >= 128, "cipher", r)
    cert = t["certificate"]
    check(t["verified"] is True and t["verify_result"] == "ok",
          "verified against --ca-file, host name included", r)
    check(cert["hostname_match"] is True, "hostname_match", r)
    check(cert["sha256"].count(":") == 31, "sha256 fingerprint", r)
    check(cert["days_left"] > 0, "days_left", r)
    check(any(ctx.env["LAB_SMTP_TLS"] in san for san in cert["sans"]),
          "SANs listed", r)


def test_unverified_certificate_is_reported_not_fatal(ctx):
    args = ctx.lab_args(extra=("--format", "json"))
    i = args.index("--ca-file")
    args[i] = "--imap-ca-file"     # trust the lab CA for IMAP only
    r = ctx.mailive(*args)
    check(r.rc == 0, "still OK: verification is reported by default", r)
    t = r.json["smtp"]["tls_session"]
    check(t["verified"] is False and t["verify_result"] != "ok",
          "reported as unverified, with OpenSSL's reason", r)


def test_tls_off_sends_no_starttls(ctx):
    r, j = _ok_json(ctx, "--tls", "off", "-v")
    s = j["smtp"]
    check(s["tls"] is False, "no TLS", r)
    check(s["starttls_offered"] is True, "but it was offered", r)
    check(">>> STARTTLS" not in r.stderr, "STARTTLS never sent", r)
    check(">>> EHLO" in r.stderr, "the transcript is on stderr", r)


def test_plain_listener_auto_delivers_without_tls(ctx):
    r, j = _ok_json(ctx, server=ctx.env["LAB_SMTP_PLAIN"])
    s = j["smtp"]
    check(s["tls"] is False and s["starttls_offered"] is False,
          "plain text, STARTTLS not offered", r)


def test_ipv6_round_trip(ctx):
    v6 = ctx.env.get("LAB_SMTP_V6")
    if not v6:
        from lib import Skip
        raise Skip("the lab has no IPv6 listener")
    r, j = _ok_json(ctx, server=v6)
    check(j["smtp"]["address"] == "::1", "delivered over ::1", r)


def test_verbose_never_shows_the_password(ctx):
    pw = ctx.imap_password()
    r = ctx.mailive(*ctx.lab_args(extra=("-v", "-v")))
    check(r.rc == 0, "exit 0", r)
    check(pw not in r.stderr and pw not in r.stdout,
          "the password is not in any output", r)
    check("<<< 220" in r.stderr or "<<< 2" in r.stderr,
          "the SMTP dialogue is shown", r)


def test_no_leaks_or_memory_errors_under_valgrind(ctx):
    import shutil
    from lib import Skip
    if shutil.which("valgrind") is None:
        raise Skip("valgrind is not installed")
    import subprocess
    from lib import MAILIVE
    libs = subprocess.run(["ldd", MAILIVE], capture_output=True, text=True)
    if "libasan" in libs.stdout:
        raise Skip("this build runs under AddressSanitizer, which valgrind "
                   "cannot run; make check covers it")
    for imap in (ctx.env["LAB_IMAPS_URL"], ctx.env["LAB_IMAP_URL"]):
        r = ctx.mailive(*ctx.lab_args(imap=imap, extra=("--format", "json")),
                        wrapper=("valgrind", "--leak-check=full",
                                 "--errors-for-leak-kinds=definite,indirect",
                                 "--error-exitcode=99", "-q"))
        check(r.rc == 0, "a full round trip under valgrind: no errors, no "
              "definite or indirect leaks", r)
        check(r.json["roundtrip"]["returned"] is True, "returned", r)


def test_an_auto_responders_answer_counts_as_the_return(ctx):
    args = ctx.lab_args(extra=("--format", "json"))
    args[args.index(ctx.env["LAB_TO"])] = "responder@sut.test"
    r = ctx.mailive(*args)
    check(r.rc == 0, "OK: the lab's vacation responder answered", r)
    rt = r.json["roundtrip"]
    check(rt["returned"] is True and rt["returned_as"] == "reply",
          "counted as an auto-reply, not a copy", r)
    check(ctx.maildir_files_with(r.json["token"]) == [], "reply deleted", r)
