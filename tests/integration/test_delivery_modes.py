"""Delivery modes as a real MTA delivers: direct, primary MX, failover.

The lab's dnsmasq serves one zone per case (tests/lab/zones.conf); the real
Postfix carries every successful delivery; fakesmtp.py and bare sockets play
the MX hosts that fail, each on port 25 of its own loopback address.
"""

import os
import socket

from lib import Skip, check

# Lab addresses that the zones point at for the failing MX hosts.
DEAD = "127.0.0.41"      # nothing listens
SILENT = "127.0.0.42"    # accepts, never greets
BUSY = "127.0.0.43"      # 421 greeting
DEFER = "127.0.0.44"     # 451 at RCPT
REJECT = "127.0.0.45"    # 550 at RCPT


def _mx_args(ctx, to, mode="failover", extra=()):
    env = ctx.env
    return ["--to", to, "--mode", mode, "--dns-server", env["LAB_DNS"],
            "--return-address", env["LAB_RETURN"],
            "--imap", env["LAB_IMAP_URL"],
            "--imap-user", env["LAB_IMAP_USER"],
            "--imap-password-file", env["LAB_IMAP_PASSWORD_FILE"],
            "--ca-file", env["LAB_CA_FILE"],
            "--state-dir", os.path.join(ctx.tmp, "state"),
            "--poll-interval", "0.1", "--timeout", "30",
            "--format", "json"] + list(extra)


def _need_root():
    if os.geteuid() != 0:
        raise Skip("needs root to listen on port 25")


def _listen25(ctx, addr):
    _need_root()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 25))
    s.listen(8)
    ctx.sockets.append(s)


def _attempts(j):
    return [(a["address"], a["result"]) for a in j["attempts"]]


def test_failover_past_a_refused_address(ctx):
    r = ctx.mailive(*_mx_args(ctx, "probe@fo-refused.test"))
    check(r.rc == 0, "OK through the second MX", r)
    j = r.json
    check(_attempts(j) == [(DEAD, "failed"), ("127.0.0.21", "delivered")],
          "the failed attempt first, then the delivery", r)
    a = j["attempts"][0]
    check(a["stage"] == "connect" and a["class"] == "connect",
          "refused at connect", r)
    check(j["errors"] == [], "no errors on success", r)
    check([m["preference"] for m in j["dns"]["mx"]] == [10, 20],
          "the MX set seen", r)
    check(isinstance(j["dns"]["ms"], (int, float)), "DNS time", r)
    t = ctx.mailive(*[a for a in _mx_args(ctx, "probe@fo-refused.test")
                      if a not in ("--format", "json")])
    check("attempts:" in t.stdout and DEAD in t.stdout and
          "mx " in t.stdout, "text shows the MX set and attempts", t)


def test_failover_past_a_silent_listener_within_the_deadline(ctx):
    _listen25(ctx, SILENT)
    r = ctx.mailive(*_mx_args(ctx, "probe@fo-silent.test",
                              extra=("--timeout", "8")))
    j = r.json
    check(r.rc == 0, "OK through the second MX", r)
    check(_attempts(j) == [(SILENT, "failed"), ("127.0.0.21", "delivered")],
          "silent first, then Postfix", r)
    check(j["attempts"][0]["class"] == "timeout", "a timeout", r)
    check(r.elapsed < 8 + 1, "within --timeout", r)


def test_failover_past_a_421_greeting(ctx):
    _need_root()
    ctx.fake("greeting-421.scn", listen=BUSY + ":25")
    r = ctx.mailive(*_mx_args(ctx, "probe@fo-421.test"))
    j = r.json
    check(r.rc == 0, "OK", r)
    check(_attempts(j) == [(BUSY, "failed"), ("127.0.0.21", "delivered")],
          "421 first", r)
    a = j["attempts"][0]
    check(a["stage"] == "greeting" and a["code"] == 421, "421 greeting", r)


def test_failover_past_a_451_at_rcpt(ctx):
    _need_root()
    fake = ctx.fake("rcpt-451.scn", listen=DEFER + ":25")
    r = ctx.mailive(*_mx_args(ctx, "probe@fo-451.test"))
    j = r.json
    check(r.rc == 0, "OK", r)
    check(_attempts(j) == [(DEFER, "failed"), ("127.0.0.21", "delivered")],
          "451 first", r)
    a = j["attempts"][0]
    check(a["stage"] == "rcpt" and a["code"] == 451, "451 at RCPT", r)
    check("C: RCPT TO:<probe@fo-451.test>" in fake.transcript(),
          "the fake server saw the RCPT", r)


def test_550_at_rcpt_stops_failover(ctx):
    _need_root()
    ctx.fake("rcpt-550.scn", listen=REJECT + ":25")
    r = ctx.mailive(*_mx_args(ctx, "probe@fo-550.test"))
    check(r.rc == 2, "CRITICAL", r)
    j = r.json
    check(_attempts(j) == [(REJECT, "failed")], "no further MX tried", r)
    e = j["errors"][0]
    check(e["code"] == 550 and e["stage"] == "rcpt" and
          e["class"] == "permanent", "the 550 shown", r)
    check("550" in r.json["summary"], "in the summary too", r)


def test_primary_mode_uses_only_the_lowest_preference(ctx):
    r = ctx.mailive(*_mx_args(ctx, "probe@two-mx.test", mode="mx"))
    check(r.rc == 0, "OK", r)
    check(_attempts(r.json) == [("127.0.0.21", "delivered")],
          "the preference-10 host", r)
    r = ctx.mailive(*_mx_args(ctx, "probe@fo-refused.test", mode="mx"))
    check(r.rc == 2, "CRITICAL when the primary is down", r)
    check(_attempts(r.json) == [(DEAD, "failed")], "no other MX tried", r)


def test_primary_mode_rotates_equal_preferences(ctx):
    seen = []
    for _ in range(4):
        r = ctx.mailive(*_mx_args(ctx, "probe@equal-mx.test", mode="mx"))
        check(r.rc == 0, "OK", r)
        seen.append(r.json["smtp"]["address"])
    check(sorted(seen) == ["127.0.0.21", "127.0.0.21",
                           "127.0.0.22", "127.0.0.22"],
          "each host exactly twice in four runs: %s" % seen)
    check(seen[0] != seen[1] and seen[1] != seen[2],
          "alternating: %s" % seen)


def test_primary_mode_without_state_still_works(ctx):
    blocker = os.path.join(ctx.tmp, "not-a-dir")
    with open(blocker, "w") as f:
        f.write("x")
    args = _mx_args(ctx, "probe@equal-mx.test", mode="mx", extra=("-v",))
    args[args.index("--state-dir") + 1] = os.path.join(blocker, "state")
    r = ctx.mailive(*args)
    check(r.rc == 0, "OK without rotation state", r)
    check("random" in r.stderr, "-v says the pick was random", r)
    check("random" in r.json["dns"]["choice"] and
          r.json["dns"]["random_pick"] is True, "and so does the JSON", r)


def test_direct_mode_never_uses_mx(ctx):
    args = _mx_args(ctx, "probe@direct-vs-mx.test", mode="direct",
                    extra=("--server", "direct-vs-mx.test"))
    r = ctx.mailive(*args)
    check(r.rc == 0, "OK", r)
    j = r.json
    check(j["smtp"]["address"] == "127.0.0.21", "the A record, not the MX", r)
    check(j["dns"]["mx_lookup"] is False, "no MX lookup", r)
    r = ctx.mailive(*_mx_args(ctx, "probe@direct-vs-mx.test", mode="mx"))
    check(r.json["smtp"]["address"] == "127.0.0.22", "mx mode uses the MX",
          r)


def test_null_mx_is_a_permanent_error_without_connecting(ctx):
    r = ctx.mailive(*_mx_args(ctx, "probe@nullmx.test"))
    check(r.rc == 2, "CRITICAL", r)
    j = r.json
    check(j["attempts"] == [], "no connection made", r)
    e = j["errors"][0]
    check(e["stage"] == "dns" and "null MX" in e["message"], "null MX", r)


def test_implicit_mx(ctx):
    r = ctx.mailive(*_mx_args(ctx, "probe@implicit.test"))
    check(r.rc == 0, "OK through the domain's own address", r)
    j = r.json
    check(j["dns"]["implicit_mx"] is True, "implicit_mx", r)
    check(j["smtp"]["address"] == "127.0.0.21", "address", r)


def test_nxdomain(ctx):
    r = ctx.mailive(*_mx_args(ctx, "probe@no-such-domain.test"))
    check(r.rc == 2, "CRITICAL", r)
    e = r.json["errors"][0]
    check(e["stage"] == "dns" and "NXDOMAIN" in e["message"] and
          "no-such-domain.test" in e["message"], "NXDOMAIN named", r)


def test_silent_dns_server_verdict_within_the_deadline(ctx):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    ctx.sockets.append(s)
    args = _mx_args(ctx, "probe@sut.test", extra=("--timeout", "3"))
    args[args.index("--dns-server") + 1] = "127.0.0.1:%d" % s.getsockname()[1]
    r = ctx.mailive(*args)
    check(r.rc == 2, "CRITICAL", r)
    check(r.elapsed < 3 + 1.5, "within --timeout", r)
    e = r.json["errors"][0]
    check(e["stage"] == "dns" and e["class"] == "timeout", "a DNS timeout", r)


def test_ipv6_round_trip_through_mx(ctx):
    if not ctx.env.get("LAB_SMTP_V6"):
        raise Skip("the lab has no IPv6 listener")
    r = ctx.mailive(*_mx_args(ctx, "probe@v6.test"))
    check(r.rc == 0 and r.json["smtp"]["address"] == "::1", "over ::1", r)
    r = ctx.mailive(*_mx_args(ctx, "probe@v6.test", extra=("-4",)))
    check(r.rc == 2, "-4 leaves no address", r)


def test_bind_sets_the_source_address(ctx):
    r = ctx.mailive(*_mx_args(ctx, "probe@sut.test",
                              extra=("--bind", "127.0.0.99")))
    check(r.rc == 0, "OK", r)
    with open(ctx.env["LAB_MAILLOG"]) as f:
        log = f.read()
    check("127.0.0.99" in log, "Postfix saw the bound address", r)


def test_max_attempts_bounds_failover(ctx):
    r = ctx.mailive(*_mx_args(ctx, "probe@fo-refused.test",
                              extra=("--max-attempts", "1")))
    check(r.rc == 2, "CRITICAL after one attempt", r)
    j = r.json
    check(len(j["attempts"]) == 1, "exactly one attempt", r)
    check(any("--max-attempts" in e["message"] for e in j["errors"]),
          "says why it stopped", r)


def test_mx_target_behind_a_cname_is_tolerated(ctx):
    r = ctx.mailive(*_mx_args(ctx, "probe@cname-mx.test"))
    check(r.rc == 0, "OK", r)
    j = r.json
    check(j["dns"]["mx"][0]["host"] == "alias.cname-mx.test", "MX as seen", r)
    check(j["smtp"]["address"] == "127.0.0.21", "reached through the CNAME",
          r)
