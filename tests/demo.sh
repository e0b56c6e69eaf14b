#!/bin/sh
# make demo: start the loopback lab, run one real round trip through it
# (Postfix forwards the probe, Dovecot serves the copy), print the result,
# stop the lab.  Needs root: the lab's Postfix binds port 25.
set -u
cd "$(dirname "$0")/.."

tests/lab/lab.sh up || exit $?
trap 'tests/lab/lab.sh down >/dev/null 2>&1' EXIT INT TERM
eval "$(tests/lab/lab.sh env)"

set -x
./mailive --to "$LAB_TO" --mode direct --server "$LAB_SMTP_TLS" \
    --return-address "$LAB_RETURN" \
    --imap "$LAB_IMAPS_URL" --imap-user "$LAB_IMAP_USER" \
    --imap-password-file "$LAB_IMAP_PASSWORD_FILE" \
    --ca-file "$LAB_CA_FILE" --poll-interval 0.2 --timeout 60
