"""What the probe concludes when something is wrong."""

from lib import check


def test_wrong_imap_password_is_a_clear_unknown_and_sends_nothing(ctx):
    args = ctx.lab_args(extra=("--format", "json"))
    i = args.index("--imap-password-file")
    del args[i:i + 2]
    r = ctx.mailive(*args, password_env="not-the-password")
    check(r.rc == 3, "exit 3 (UNKNOWN): the mailbox, not the server, failed",
          r)
    j = r.json
    check(j["status"] == "UNKNOWN", "status UNKNOWN", r)
    e = j["errors"][0]
    check(e["stage"] == "imap-login", "stage imap-login", r)
    check(ctx.env["LAB_IMAP_USER"] in e["message"], "names the user", r)
    check("password" in e["message"], "says what to check", r)
    check(j["attempts"] == [], "no probe was sent", r)


def test_nothing_listening_is_critical_within_the_timeout(ctx):
    port = ctx.free_port()
    args = ctx.lab_args(server="127.0.0.1", extra=(
        "--port", str(port), "--timeout", "5", "--format", "json"))
    r = ctx.mailive(*args)
    check(r.rc == 2, "exit 2 (CRITICAL)", r)
    check(r.elapsed < 5 + 2, "within --timeout", r)
    j = r.json
    e = j["errors"][0]
    check(e["stage"] == "connect" and e["class"] == "connect", "connect", r)
    check("127.0.0.1:%d" % port in e["message"], "names host and port", r)
    check("refused" in e["message"].lower(), "says it was refused", r)
    check(j["attempts"][0]["result"] == "failed", "attempt listed", r)
    t = ctx.mailive(*[a for a in args if a != "json" and a != "--format"])
    check("127.0.0.1:%d" % port in t.stdout and "CRITICAL" in t.stdout,
          "the text output names it too", t)


def test_silent_server_times_out_at_the_deadline(ctx):
    port = ctx.silent_listener()
    r = ctx.mailive(*ctx.lab_args(server="127.0.0.1", extra=(
        "--port", str(port), "--timeout", "3", "--format", "json")))
    check(r.rc == 2, "exit 2", r)
    check(2.5 < r.elapsed < 3 + 1.5, "ends at the deadline", r)
    e = r.json["errors"][0]
    check(e["class"] == "timeout" and e["stage"] == "greeting",
          "a timeout waiting for the greeting", r)


def test_accepted_but_never_returned_is_critical(ctx):
    fake = ctx.fake("ok-plain.scn")
    r = ctx.mailive(*ctx.lab_args(server="127.0.0.1", extra=(
        "--port", str(fake.port), "--timeout", "4", "--format", "json")))
    check(r.rc == 2, "exit 2", r)
    j = r.json
    check(j["smtp"]["delivered"] is True, "the fake server accepted it", r)
    check(j["roundtrip"]["returned"] is False, "nothing came back", r)
    e = j["errors"][0]
    check(e["stage"] == "imap-wait" and e["class"] == "not-returned",
          "not returned", r)
    check(r.elapsed < 4 + 2, "within the deadline", r)


def test_rcpt_550_is_critical_with_the_reply(ctx):
    r = ctx.mailive(*ctx.lab_args(extra=("--format", "json")))
    check(r.rc == 0, "baseline works", r)
    args = ctx.lab_args(extra=("--format", "json"))
    args[args.index(ctx.env["LAB_TO"])] = "reject550@sut.test"
    r = ctx.mailive(*args)
    check(r.rc == 2, "exit 2", r)
    e = r.json["errors"][0]
    check(e["stage"] == "rcpt" and e["code"] == 550, "550 at RCPT", r)
    check("reject550@sut.test" in e["message"], "names the recipient", r)


def test_a_bounce_is_not_taken_for_the_return(ctx):
    args = ctx.lab_args(extra=("--format", "json", "--timeout", "4"))
    args[args.index(ctx.env["LAB_TO"])] = "bouncer@sut.test"
    r = ctx.mailive(*args)
    try:
        check(r.rc == 2, "CRITICAL: accepted, then bounced", r)
        j = r.json
        check(j["smtp"]["delivered"] is True, "the server accepted it", r)
        check(j["roundtrip"]["returned"] is False, "the bounce is no return",
              r)
        check(len(ctx.maildir_files_with(j["token"])) == 1,
              "the bounce, quoting the probe, is in the mailbox", r)
    finally:
        import os
        for f in ctx.maildir_files_with(r.json["token"]):
            os.unlink(f)
