"""Helpers for the integration tests: the lab, the binary, fake servers."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MAILIVE = os.path.join(ROOT, "mailive")
LAB_SH = os.path.join(ROOT, "tests", "lab", "lab.sh")
FAKESMTP = os.path.join(ROOT, "tests", "scenarios", "fakesmtp.py")
SCENARIOS = os.path.join(ROOT, "tests", "scenarios")


class Skip(Exception):
    """The test cannot run here; the reason says why."""


class Lab:
    """The loopback lab: real Postfix, Dovecot and dnsmasq."""

    def __init__(self):
        self.env = {}
        self.unavailable = None
        self.started = False

    def up(self):
        r = subprocess.run([LAB_SH, "up"], capture_output=True, text=True,
                           timeout=120)
        if r.returncode == 77:
            self.unavailable = (r.stderr.strip() or "lab unavailable")
            return
        if r.returncode != 0:
            self.unavailable = "lab.sh up failed: %s%s" % (r.stdout, r.stderr)
            return
        self.started = os.environ.get("MAILIVE_LAB_KEEP") != "1"
        r = subprocess.run([LAB_SH, "env"], capture_output=True, text=True,
                           timeout=30, check=True)
        for line in r.stdout.splitlines():
            m = re.match(r"^(LAB_[A-Z0-9_]+)=(.*)$", line.strip())
            if m:
                self.env[m.group(1)] = m.group(2).strip("'\"")

    def down(self):
        if self.started:
            subprocess.run([LAB_SH, "down"], capture_output=True,
                           timeout=120)

    def need(self):
        if self.unavailable:
            if self.unavailable.startswith("lab.sh up failed"):
                raise AssertionError(self.unavailable)
            raise Skip(self.unavailable)
        return self.env


class Run:
    """One finished mailive run."""

    def __init__(self, args, proc, elapsed):
        self.args = args
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.elapsed = elapsed
        self._json = None

    @property
    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.stdout)
            except ValueError as e:
                raise AssertionError("stdout is not JSON (%s): %r"
                                     % (e, self.stdout[:2000]))
        return self._json

    def describe(self):
        return "mailive %s\n-> exit %d in %.2f s\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(self.args), self.rc, self.elapsed, self.stdout,
            self.stderr[-4000:])


class Fake:
    """A running fakesmtp.py playing one scenario."""

    def __init__(self, ctx, scenario, listen, cert=None, key=None):
        self.log = os.path.join(ctx.tmp, "fake-%d.log" % len(ctx.fakes))
        path = scenario if os.path.isabs(scenario) else \
            os.path.join(SCENARIOS, scenario)
        cmd = ["python3", FAKESMTP, "--listen", listen, "--scenario", path,
               "--log", self.log]
        if cert:
            cmd += ["--cert", cert]
        if key:
            cmd += ["--key", key]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.stop()
            raise AssertionError("fakesmtp did not start: %r %s"
                                 % (line, self.proc.stderr.read()))
        self.port = int(line)
        self.host = listen.rsplit(":", 1)[0].strip("[]")

    def transcript(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Context:
    """What one test gets: the lab, a temp dir, runners for the binary."""

    def __init__(self, lab, name):
        self.lab = lab
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="mailive-test-")
        self.runs = []
        self.fakes = []
        self.sockets = []

    @property
    def env(self):
        return self.lab.need()

    def mailive(self, *args, password_env=None, timeout=120, env=None,
                wrapper=()):
        """Run the binary (under wrapper, e.g. valgrind, if given);
        password_env sets MAILIVE_IMAP_PASSWORD."""
        e = {k: v for k, v in os.environ.items()
             if k != "MAILIVE_IMAP_PASSWORD"}
        if password_env is not None:
            e["MAILIVE_IMAP_PASSWORD"] = password_env
        if env:
            e.update(env)
        start = time.monotonic()
        proc = subprocess.run(list(wrapper) + [MAILIVE] + list(args),
                              capture_output=True,
                              text=True, timeout=timeout, env=e)
        run = Run(list(args), proc, time.monotonic() - start)
        self.runs.append(run)
        return run

    def lab_args(self, server=None, imap=None, extra=()):
        """The usual arguments for a direct round trip through the lab."""
        env = self.env
        return ["--to", env["LAB_TO"], "--mode", "direct",
                "--server", server or env["LAB_SMTP_TLS"],
                "--return-address", env["LAB_RETURN"],
                "--imap", imap or env["LAB_IMAP_URL"],
                "--imap-user", env["LAB_IMAP_USER"],
                "--imap-password-file", env["LAB_IMAP_PASSWORD_FILE"],
                "--ca-file", env["LAB_CA_FILE"],
                "--poll-interval", "0.1", "--timeout", "30"] + list(extra)

    def fake(self, scenario, listen="127.0.0.1:0", cert=None, key=None):
        f = Fake(self, scenario, listen, cert, key)
        self.fakes.append(f)
        return f

    def free_port(self, host="127.0.0.1"):
        """A port where nothing listens (bound, then closed)."""
        s = socket.socket()
        s.bind((host, 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def silent_listener(self, host="127.0.0.1"):
        """A port that accepts TCP connections and never says a word."""
        s = socket.socket()
        s.bind((host, 0))
        s.listen(16)
        self.sockets.append(s)
        return s.getsockname()[1]

    def maildir_files_with(self, needle):
        """Files in the return Maildir whose content contains needle."""
        found = []
        for sub in ("new", "cur"):
            d = os.path.join(self.env["LAB_MAILDIR"], sub)
            if not os.path.isdir(d):
                continue
            for name in os.listdir(d):
                p = os.path.join(d, name)
                try:
                    with open(p, "rb") as f:
                        if needle.encode() in f.read():
                            found.append(p)
                except OSError:
                    pass
        return found

    def imap_password(self):
        with open(self.env["LAB_IMAP_PASSWORD_FILE"]) as f:
            return f.read().strip()

    def dump(self):
        for run in self.runs[-3:]:
            print("    " + run.describe().replace("\n", "\n    "))
        for f in self.fakes:
            print("    fake transcript:\n      " +
                  f.transcript()[-3000:].replace("\n", "\n      "))

    def cleanup(self):
        for f in self.fakes:
            f.stop()
        for s in self.sockets:
            s.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def check(cond, message, run=None):
    """assert with the run's output attached when it fails."""
    if not cond:
        raise AssertionError(message + ("\n" + run.describe() if run else ""))
