#!/usr/bin/env python3
"""Integration tests: drive the built ./mailive against the loopback lab.

The lab (tests/lab/lab.sh: real Postfix, Dovecot and dnsmasq) is brought up
once for the run and down at the end, unless MAILIVE_LAB_KEEP=1.  Misbehaving
servers are played by tests/scenarios/fakesmtp.py.  Each test_* function in
tests/integration/test_*.py gets a Context and prints one line: PASS, FAIL or
SKIP.  Arguments select tests whose name contains one of them.
"""

import importlib.util
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402


def discover(selected):
    here = os.path.dirname(os.path.abspath(__file__))
    tests = []
    for fname in sorted(os.listdir(here)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3],
                                                      os.path.join(here, fname))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name in sorted(vars(mod)):
            fn = getattr(mod, name)
            if name.startswith("test_") and callable(fn):
                full = "%s.%s" % (fname[:-3], name)
                if not selected or any(s in full for s in selected):
                    tests.append((full, fn))
    return tests


def main():
    selected = sys.argv[1:]
    tests = discover(selected)
    lab = lib.Lab()
    try:
        lab.up()
        for name, fn in tests:
            ctx = lib.Context(lab, name)
            start = time.monotonic()
            try:
                fn(ctx)
                print("PASS %s (%.1f s)" % (name, time.monotonic() - start))
            except lib.Skip as e:
                print("SKIP %s: %s" % (name, e))
            except AssertionError as e:
                print("FAIL %s: %s" % (name, e))
                ctx.dump()
            except Exception:
                print("FAIL %s: %s" % (name, traceback.format_exc().strip()
                                       .replace("\n", "\n    ")))
                ctx.dump()
            finally:
                ctx.cleanup()
    finally:
        lab.down()
    print("integration: done")


if __name__ == "__main__":
    main()
