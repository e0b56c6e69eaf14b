"""The lab itself: every record, listener and mailbox the other tests use."""

import os
import subprocess

from lib import ROOT, check


def test_lab_smoke(ctx):
    ctx.env  # skips when the lab cannot run here
    r = subprocess.run(["python3", os.path.join(ROOT, "tests", "lab",
                                                "smoke.py")],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "smoke.py: every lab check passes:\n" +
          r.stdout[-3000:] + r.stderr[-2000:])
