#!/bin/sh
# Run every test: the unit programs, then the integration tests that drive
# the built binary against the loopback lab (started and stopped by the
# integration runner).  Each test prints one line - PASS, FAIL or SKIP -
# and the last line counts them.  Extra arguments go to the integration
# runner (e.g. a test name to run only that one).
set -u
cd "$(dirname "$0")/.."

all=$(mktemp)
one=$(mktemp)
trap 'rm -f "$all" "$one"' EXIT

for t in tests/unit/test_* tests/fuzz/replay_*; do
	case "$t" in *.c) continue ;; esac
	[ -x "$t" ] || continue
	"$t" >"$one" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$one"; then
		echo "FAIL $t: exited with status $rc" >>"$one"
	fi
	cat "$one"
	cat "$one" >>"$all"
done

# Streamed, so a long run shows its progress; the runner's last line is
# "integration: done", and its absence means the runner itself broke.
python3 -u tests/integration/run.py "$@" 2>&1 | tee "$one"
if ! grep -q '^integration: done' "$one"; then
	echo "FAIL tests/integration/run.py: the runner did not finish" |
	    tee -a "$one"
fi
cat "$one" >>"$all"

pass=$(grep -c '^PASS ' "$all")
fail=$(grep -c '^FAIL ' "$all")
skip=$(grep -c '^SKIP ' "$all")
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
