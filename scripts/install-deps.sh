#!/bin/sh
# Install every build and test dependency of mailive on Debian 12, non-interactively.
# Daemons from the packages must not start on the public ports: a temporary
# policy-rc.d forbids it (an existing one is left alone).
set -eu

PKGS="build-essential pkg-config libssl-dev libcurl4-openssl-dev libcjson-dev libldns-dev zlib1g-dev
      openssl ca-certificates curl python3 valgrind
      postfix dovecot-imapd dnsmasq-base"

SUDO=
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
    SUDO=sudo
fi

missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "install-deps: everything is installed"
    exit 0
fi

added_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    added_policy=1
fi
cleanup() { [ -z "$added_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d; }
trap cleanup EXIT

echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
