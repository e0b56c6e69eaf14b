"""Bad input: a clear message and exit 3, before any traffic."""

from lib import check


def test_bad_options_exit_3_with_a_message(ctx):
    cases = [
        ([], "--to"),
        (["--to", "x@y.test"], "--imap"),
        (["--to", "x@y.test", "--imap", "imap://127.0.0.1/INBOX",
          "--timeout", "soon"], "--timeout"),
        (["--to", "x@y.test", "--imap", "imap://127.0.0.1/INBOX",
          "--mode", "direct"], "--server"),
        (["--to", "x@y.test", "--imap", "imap://127.0.0.1/INBOX",
          "--tls", "maybe"], "--tls"),
    ]
    for args, needle in cases:
        r = ctx.mailive(*args)
        check(r.rc == 3, "exit 3 for %r" % args, r)
        check(needle in r.stderr, "the message names %s" % needle, r)
        check(r.stdout == "", "nothing on stdout", r)


def test_missing_password_exits_3(ctx):
    r = ctx.mailive("--to", "x@y.test", "--mode", "direct", "--server",
                    "127.0.0.1", "--imap", "imap://u@127.0.0.1/INBOX")
    check(r.rc == 3 and "MAILIVE_IMAP_PASSWORD" in r.stderr,
          "says where the password comes from", r)


def test_unreadable_password_file_exits_3(ctx):
    r = ctx.mailive("--to", "x@y.test", "--mode", "direct", "--server",
                    "127.0.0.1", "--imap", "imap://127.0.0.1/INBOX",
                    "--imap-user", "u", "--imap-password-file",
                    "/nonexistent/pw")
    check(r.rc == 3 and "/nonexistent/pw" in r.stderr, "names the file", r)


def test_attachments_not_implemented_yet_exit_3(ctx):
    for kind in ("docx", "pdf"):
        r = ctx.mailive("--to", "x@y.test", "--mode", "direct", "--server",
                        "127.0.0.1", "--imap", "imap://u@127.0.0.1/INBOX",
                        "--attach", kind, password_env="x")
        check(r.rc == 3 and "not implemented" in r.stderr, kind, r)


def test_missing_imap_user_exits_3(ctx):
    r = ctx.mailive("--to", "x@y.test", "--mode", "direct", "--server",
                    "127.0.0.1", "--imap", "imap://127.0.0.1/INBOX",
                    password_env="x")
    check(r.rc == 3 and "--imap-user" in r.stderr, "asks for the user", r)


def test_help_and_version(ctx):
    r = ctx.mailive("--help")
    check(r.rc == 0 and "--to ADDR" in r.stdout, "--help", r)
    r = ctx.mailive("--version")
    check(r.rc == 0 and r.stdout.startswith("mailive "), "--version", r)
