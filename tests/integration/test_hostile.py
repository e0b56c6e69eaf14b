"""Hostile and broken SMTP peers: the probe concludes, in time, and says why.

Each case is one scenario file in tests/scenarios played by fakesmtp.py.
Nothing comes back from a fake server, so a session that is accepted ends
CRITICAL as "not returned"; the assertions are about the SMTP session.
"""

from lib import check


def _run(ctx, scenario, *extra, timeout="4"):
    fake = ctx.fake(scenario)
    r = ctx.mailive(*ctx.lab_args(server="127.0.0.1", extra=(
        "--port", str(fake.port), "--timeout", timeout, "--format", "json",
        "-v") + extra))
    check(r.elapsed < float(timeout) + 2, "ends within --timeout", r)
    return r, fake


def _error(r):
    return r.json["errors"][0]


def test_garbage_greeting_is_a_protocol_error(ctx):
    r, fake = _run(ctx, "garbage-greeting.scn")
    check(r.rc == 2, "CRITICAL", r)
    e = _error(r)
    check(e["class"] == "protocol" and e["stage"] == "greeting", "why", r)
    check("C: EHLO" not in fake.transcript(), "no EHLO after garbage", r)


def test_overlong_line_is_refused_not_buffered(ctx):
    r, fake = _run(ctx, "overlong-line.scn")
    check(r.rc == 2, "CRITICAL", r)
    e = _error(r)
    check(e["class"] == "protocol" and "longer than" in e["message"],
          "a line-length error", r)


def test_endless_multiline_reply_is_capped(ctx):
    r, fake = _run(ctx, "endless-multiline.scn")
    check(r.rc == 2, "CRITICAL", r)
    e = _error(r)
    check(e["class"] == "protocol" and e["stage"] == "ehlo", "at EHLO", r)
    check("more than" in e["message"], "says the reply was too long", r)


def test_byte_at_a_time_greeting_cannot_stretch_the_deadline(ctx):
    r, fake = _run(ctx, "slow-greeting.scn", timeout="2")
    check(r.rc == 2, "CRITICAL", r)
    e = _error(r)
    check(e["class"] == "timeout" and e["stage"] == "greeting",
          "a total, not an idle, timeout", r)


def test_drop_after_mail_is_a_temporary_failure(ctx):
    r, fake = _run(ctx, "drop-after-mail.scn")
    check(r.rc == 2, "CRITICAL", r)
    e = _error(r)
    check(e["stage"] == "mail" and "closed the connection" in e["message"],
          "the drop is named", r)


def test_452_after_data_is_temporary_with_the_reply(ctx):
    r, fake = _run(ctx, "data-452.scn")
    check(r.rc == 2, "CRITICAL", r)
    e = _error(r)
    check(e["stage"] == "message" and e["code"] == 452 and
          e["class"] == "temporary", "452 at end of data", r)
    check("Insufficient system storage" in e["reply"], "the text", r)


def test_greeting_421_is_temporary(ctx):
    r, fake = _run(ctx, "greeting-421.scn")
    e = _error(r)
    check(r.rc == 2 and e["code"] == 421 and e["class"] == "temporary",
          "421 at greeting", r)


def test_ehlo_refused_falls_back_to_helo(ctx):
    r, fake = _run(ctx, "ehlo-500-helo-ok.scn")
    s = r.json["smtp"]
    check(s["delivered"] is True and s["helo_fallback"] is True,
          "delivered after HELO", r)
    check("C: HELO " in fake.transcript(), "HELO sent", r)
    r, fake = _run(ctx, "ehlo-500-helo-ok.scn", "--tls", "on")
    e = _error(r)
    check(e["class"] == "tls" and "STARTTLS" in e["message"],
          "--tls on fails instead of sending MAIL", r)
    check("C: MAIL" not in fake.transcript(), "no MAIL", r)


def test_lf_only_replies_are_understood_and_we_send_crlf(ctx):
    r, fake = _run(ctx, "lf-only.scn")
    check(r.json["smtp"]["delivered"] is True, "delivered", r)
    check("* bare-lf" not in fake.transcript(), "we send CRLF", r)


def test_message_and_envelope_arrive_intact(ctx):
    r, fake = _run(ctx, "ok-plain.scn")
    j = r.json
    check(j["smtp"]["delivered"] is True, "delivered", r)
    t = fake.transcript()
    check(j["token"] in t, "the token is in what the server received", r)
    check("C: MAIL FROM:<%s>" % ctx.env["LAB_RETURN"] in t and
          "C: RCPT TO:<%s>" % ctx.env["LAB_TO"] in t, "envelope", r)
    check(j["smtp"]["queue_id"] == "FAKE123", "queue id from the reply", r)
