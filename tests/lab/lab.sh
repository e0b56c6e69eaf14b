#!/bin/bash
# tests/lab/lab.sh - the loopback mail lab of mailive's tests.
#
#   lab.sh up       start dnsmasq, Postfix and Dovecot (idempotent)
#   lab.sh down     stop them, wait until they are gone, remove the state dir
#   lab.sh status   exit 0 when everything runs, else 1 and what is missing
#   lab.sh env      print the LAB_*=value lines (shell-sourceable)
#
# State (configs, certificates, queue, Maildir, logs, pid files) lives in
# ${MAILIVE_LAB_DIR:-/tmp/mailive-lab}.  Every daemon runs from the configs
# written there; /etc/postfix, /etc/dovecot and the system's services are
# never touched, and nothing listens on anything but loopback addresses:
#
#   127.0.0.20:5300 udp+tcp  dnsmasq, zone "test" from tests/lab/zones.conf
#   127.0.0.21:25            Postfix, STARTTLS
#   127.0.0.22:25            Postfix, no STARTTLS
#   [::1]:25                 Postfix, STARTTLS (left out when ::1 is unusable)
#   127.0.0.30:143, :993     Dovecot IMAP and IMAPS, user "return"
#
# "up" does nothing when the lab runs and is healthy, and restarts it when
# anything in tests/lab changed since it was started (zones.conf etc.); it
# takes about 0.4 s, "down" about 1.2 s (Dovecot's master sleeps 1 s).  The
# env file ($DIR/env, printed by "env") has LAB_DIR LAB_DNS LAB_SMTP_TLS
# LAB_SMTP_PLAIN LAB_SMTP_V6 (empty without IPv6) LAB_TO LAB_RETURN
# LAB_IMAP_URL LAB_IMAPS_URL LAB_IMAP_USER LAB_IMAP_PASSWORD_FILE (no trailing
# newline) LAB_CA_FILE LAB_MAILDIR LAB_MAILLOG.  tests/lab/smoke.py checks a
# running lab end to end.
#
# Needs root (port 25); otherwise exits 77, which callers treat as "skip".
# Exit status: 0 ok, 1 failure, 2 usage, 77 not root.

set -u
umask 022
export LC_ALL=C

LAB_SRC=$(cd "$(dirname "$0")" && pwd) || exit 1
DIR=${MAILIVE_LAB_DIR:-/tmp/mailive-lab}

DNS_ADDR=127.0.0.20
DNS_PORT=5300
SMTP_TLS=127.0.0.21
SMTP_PLAIN=127.0.0.22
# Postfix listeners presenting a bad certificate, for the TLS tests.
SMTP_SELFSIGNED=127.0.0.23
SMTP_EXPIRED=127.0.0.24
SMTP_WRONGHOST=127.0.0.25
IMAP_ADDR=127.0.0.30
UP_TIMEOUT=10		# seconds for every listener to come up
STOP_TIMEOUT=5		# seconds before SIGKILL when stopping

DAEMONS="dnsmasq postfix dovecot"

say() { printf 'lab: %s\n' "$*"; }
now_ms() { NOW=$((${EPOCHREALTIME/[.,]/} / 1000)); }	# sets NOW, in ms
err() { printf 'lab: %s\n' "$*" >&2; }
die() { err "$@"; exit 1; }

usage() {
	echo "usage: lab.sh up|down|status|env" >&2
	exit 2
}

# ---------------------------------------------------------------- helpers --

# The pid file and the expected /proc/PID/comm of each daemon we start.
pidfile_of() {
	case $1 in
	dnsmasq) echo "$DIR/run/dnsmasq.pid" ;;
	postfix) echo "$DIR/postfix-spool/pid/master.pid" ;;
	dovecot) echo "$DIR/dovecot/run/master.pid" ;;
	esac
}
comm_of() {
	case $1 in
	dnsmasq) echo dnsmasq ;;
	postfix) echo master ;;
	dovecot) echo dovecot ;;
	esac
}

# Prints the pid of a running daemon from its pid file; fails when the pid
# file is missing or the process is gone, a zombie or someone else.
daemon_pid() {
	local f pid comm
	f=$(pidfile_of "$1")
	[ -r "$f" ] || return 1
	read -r pid <"$f" || [ -n "${pid:-}" ] || return 1
	pid=${pid//[[:space:]]/}
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	proc_alive "$pid" || return 1
	read -r comm 2>/dev/null <"/proc/$pid/comm" || return 1
	[ "$comm" = "$(comm_of "$1")" ] || return 1
	echo "$pid"
}

# True while PID exists and is not a zombie: PID 1 of this machine reaps
# orphans only every ~2 s, so kill -0 alone would see dead daemons as alive.
proc_alive() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	case ${stat%% *} in Z | X | x) return 1 ;; esac
	return 0
}

# "PID:STARTTIME" of every process whose session is one of the given session
# leaders or that descends from one of them.  The daemons we start all make
# themselves session leaders, so their children are found even after they
# have been re-parented to PID 1.
collect_procs() {
	local f line rest pid
	local -a f3
	local -A ppid_of start_of sid_of want want_sid
	for pid in "$@"; do want[$pid]=1; want_sid[$pid]=1; done
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		pid=${line%% *}
		rest=${line##*) }
		read -r -a f3 <<<"$rest"
		ppid_of[$pid]=${f3[1]}
		sid_of[$pid]=${f3[3]}
		start_of[$pid]=${f3[19]}
	done
	# dnsmasq is not its own session leader (it forks twice): take the
	# session it lives in, unless that is ours or PID 1's.
	local mysid=${sid_of[$$]:-}
	for pid in "$@"; do
		case ${sid_of[$pid]:-0} in 0 | 1 | "$mysid") ;; *) want_sid[${sid_of[$pid]}]=1 ;; esac
	done
	local changed=1
	while [ $changed = 1 ]; do
		changed=0
		for pid in "${!ppid_of[@]}"; do
			[ -n "${want[$pid]:-}" ] && continue
			if [ -n "${want[${ppid_of[$pid]}]:-}" ] || [ -n "${want_sid[${sid_of[$pid]}]:-}" ]; then
				want[$pid]=1
				changed=1
			fi
		done
	done
	for pid in "${!want[@]}"; do
		[ -n "${start_of[$pid]:-}" ] && echo "$pid:${start_of[$pid]}"
	done
}

# True when PID:STARTTIME still names the same live process.
same_alive() {
	local pid=${1%%:*} start=${1#*:} line rest
	local -a f3
	read -r line 2>/dev/null <"/proc/$pid/stat" || return 1
	rest=${line##*) }
	read -r -a f3 <<<"$rest"
	[ "${f3[19]}" = "$start" ] || return 1
	case ${f3[0]} in Z | X | x) return 1 ;; esac
	return 0
}

# Stops every daemon that has a live pid file in $DIR, and all their
# processes; waits until they are gone.  Fails if something survived SIGKILL.
stop_all() {
	local d pid roots="" p left procs deadline sig
	for d in $DAEMONS; do
		pid=$(daemon_pid "$d") && roots="$roots $pid"
	done
	[ -n "$roots" ] || return 0
	# shellcheck disable=SC2086
	procs=$(collect_procs $roots)
	# The masters stop their children.  (Dovecot's master then sleeps 1 s
	# for its log process: signalling the children too is no faster on
	# average and makes it respawn some of them.)
	# shellcheck disable=SC2086
	kill -TERM $roots 2>/dev/null
	for sig in TERM KILL; do
		now_ms
		deadline=$((NOW + STOP_TIMEOUT * 1000))
		[ $sig = KILL ] && deadline=$((NOW + 3000))
		while :; do
			# Late children (smtpd spawned just before the signal)
			# carry the same session id: pick them up too.
			# shellcheck disable=SC2086
			procs=$({ printf '%s\n' $procs; collect_procs $roots; } | sort -u)
			left=""
			for p in $procs; do
				same_alive "$p" && left="$left $p"
			done
			[ -z "$left" ] && return 0
			now_ms
			[ $NOW -ge $deadline ] && break
			sleep 0.05
		done
		if [ $sig = TERM ]; then
			err "still running after ${STOP_TIMEOUT}s, sending SIGKILL to:${left//:[0-9]*/}"
			for p in $left; do
				same_alive "$p" && kill -KILL "${p%%:*}" 2>/dev/null
			done
		fi
	done
	err "could not stop:${left//:[0-9]*/}"
	return 1
}

v6_usable() {
	[ "$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6 2>/dev/null)" = 0 ] &&
		grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null
}

# Listener table entry, e.g. "tcp 1500007F:0019" for 127.0.0.21:25.
hexaddr() {
	local a b c d
	if [ "$1" = "::1" ]; then
		echo 00000000000000000000000001000000
		return
	fi
	IFS=. read -r a b c d <<<"$1"
	printf '%02X%02X%02X%02X\n' "$d" "$c" "$b" "$a"
}

# listening PROTO ADDR PORT - is a socket listening there (kernel table)?
listening() {
	local table state
	case $1 in
	tcp) table=/proc/net/tcp state=0A ;;
	udp) table=/proc/net/udp state=07 ;;
	esac
	case $2 in *:*) table=${table}6 ;; esac
	awk -v a="$(hexaddr "$2"):$(printf '%04X' "$3")" -v s=$state \
		'$2 == a && $4 == s { f = 1 } END { exit !f }' "$table" 2>/dev/null
}

# Every listener as "PROTO ADDR PORT DAEMON".
listeners() {
	echo "udp $DNS_ADDR $DNS_PORT dnsmasq"
	echo "tcp $DNS_ADDR $DNS_PORT dnsmasq"
	echo "tcp $SMTP_TLS 25 postfix"
	echo "tcp $SMTP_PLAIN 25 postfix"
	echo "tcp $SMTP_SELFSIGNED 25 postfix"
	echo "tcp $SMTP_EXPIRED 25 postfix"
	echo "tcp $SMTP_WRONGHOST 25 postfix"
	[ -n "$SMTP_V6" ] && echo "tcp $SMTP_V6 25 postfix"
	echo "tcp $IMAP_ADDR 143 dovecot"
	echo "tcp $IMAP_ADDR 993 dovecot"
}

fmt_listener() {	# PROTO ADDR PORT -> 127.0.0.21:25/tcp, [::1]:25/tcp
	case $2 in
	*:*) echo "[$2]:$3/$1" ;;
	*) echo "$2:$3/$1" ;;
	esac
}

# The v6 decision is recorded at "up"; later commands read it back.
load_v6() {
	SMTP_V6=
	if [ -r "$DIR/env" ]; then
		SMTP_V6=$(sed -n 's/^LAB_SMTP_V6=//p' "$DIR/env")
	elif [ -r "$DIR/v6" ]; then
		SMTP_V6=$(cat "$DIR/v6")
	fi
}

# Prints what is missing, one item a line; nothing when all is well.
missing() {
	local d proto addr port who
	for d in $DAEMONS; do
		daemon_pid "$d" >/dev/null || echo "$d (not running)"
	done
	while read -r proto addr port who; do
		listening "$proto" "$addr" "$port" ||
			echo "$who listener $(fmt_listener "$proto" "$addr" "$port")"
	done < <(listeners)
}

healthy() {
	[ -f "$DIR/.mailive-lab" ] && [ -s "$DIR/env" ] || return 1
	load_v6
	[ -z "$(missing)" ]
}

# Checksum of the lab's sources (this script, templates, zones): a running
# lab made from other sources is restarted by "up".
sources_sum() {
	local f
	for f in "$LAB_SRC"/*; do
		case $f in */smoke.py | *.md | *~) continue ;; esac
		[ -f "$f" ] && cat "$f"
	done | cksum
}
stale() {
	[ "$(cat "$DIR/sources.sum" 2>/dev/null)" != "$(sources_sum)" ]
}

# Removes the state dir, but only one that lab.sh made.
wipe_dir() {
	[ -e "$DIR" ] || return 0
	if [ ! -f "$DIR/.mailive-lab" ]; then
		if [ -d "$DIR" ] && [ -z "$(ls -A "$DIR")" ]; then
			rmdir "$DIR"
			return
		fi
		die "$DIR exists and is not a lab state dir (no .mailive-lab): not removing it"
	fi
	rm -rf -- "$DIR"
}

# ------------------------------------------------------- functional checks --

# First line of a TCP server's greeting; QUIT/LOGOUT politely.
# shellcheck disable=SC2016  # the inner scripts get their own arguments
greeting() {	# ADDR PORT BYE
	timeout 3 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		IFS= read -r -t 2 line <&3 || exit 1
		printf "%s\r\n" "$3" >&3
		printf "%s\n" "$line"' _ "$@" 2>/dev/null | tr -d '\r'
}

# An A query for mx1.sut.test over UDP; true when the answer has 127.0.0.21.
# shellcheck disable=SC2016
dns_works() {
	local q='\x6c\x61\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03mx1\x03sut\x04test\x00\x00\x01\x00\x01'
	local ans
	ans=$(timeout 2 bash -c '
		exec 3<>"/dev/udp/$1/$2" || exit 1
		printf "$3" >&3
		dd bs=4096 count=1 status=none <&3 | od -An -v -tx1' _ "$DNS_ADDR" "$DNS_PORT" "$q" 2>/dev/null | tr -d ' \n')
	case $ans in 6c61[89a-f][0-9a-f][0-9a-f]0*7f000015*) return 0 ;; esac
	return 1
}

# TLS handshake verified against the lab CA (name or IP must match).
tls_works() {	# ADDR PORT VERIFY-OPTION VALUE [-starttls PROTO]
	local addr=$1 port=$2 vopt=$3 vval=$4
	shift 4
	local hostport=$addr:$port
	case $addr in *:*) hostport="[$addr]:$port" ;; esac
	timeout 5 openssl s_client -connect "$hostport" "$@" -CAfile "$DIR/tls/ca.pem" \
		-verify_return_error "$vopt" "$vval" -brief </dev/null >/dev/null 2>&1
}

# Prints what does not work; nothing when all is well.
functional_failures() {
	local g
	dns_works || echo "dnsmasq: no answer 127.0.0.21 for mx1.sut.test A on $DNS_ADDR:$DNS_PORT"
	for a in $SMTP_TLS $SMTP_PLAIN $SMTP_V6; do
		g=$(greeting "$a" 25 QUIT)
		case $g in "220 "*) ;; *) echo "postfix: no 220 greeting on $(fmt_listener tcp "$a" 25) (got: ${g:-nothing})" ;; esac
	done
	tls_works $SMTP_TLS 25 -verify_hostname mx1.sut.test -starttls smtp ||
		echo "postfix: STARTTLS on $SMTP_TLS:25 fails or its certificate does not verify"
	if [ -n "$SMTP_V6" ]; then
		tls_works "$SMTP_V6" 25 -verify_ip "$SMTP_V6" -starttls smtp ||
			echo "postfix: STARTTLS on [$SMTP_V6]:25 fails or its certificate does not verify"
	fi
	g=$(greeting $IMAP_ADDR 143 "a LOGOUT")
	case $g in "* OK"*) ;; *) echo "dovecot: no IMAP greeting on $IMAP_ADDR:143 (got: ${g:-nothing})" ;; esac
	tls_works $IMAP_ADDR 993 -verify_ip $IMAP_ADDR ||
		echo "dovecot: IMAPS on $IMAP_ADDR:993 fails or its certificate does not verify"
}

# ---------------------------------------------------------------- configs --

# Host names of the lab for the certificate: fixed ones plus every name in
# zones.conf (host-record= names, mx-host= domains and targets), except
# names ending in .nocert.test.
cert_names() {
	{
		echo mx.sut.test
		echo imap.lab.test
		echo localhost
		sed -n -e 's/^[[:space:]]*host-record=\([^,]*\),.*/\1/p' \
			-e 's/^[[:space:]]*mx-host=\([^,]*\),\([^,]*\).*/\1\n\2/p' \
			"$LAB_SRC/zones.conf"
	} | tr '[:upper:]' '[:lower:]' | grep -v -e '\.nocert\.test$' -e '^$' | awk '!seen[$0]++'
}

make_certs() {
	local t=$DIR/tls n i=0 ext
	mkdir -p "$t" || return 1
	ext=$t/server.ext
	{
		echo "basicConstraints = critical, CA:FALSE"
		echo "keyUsage = critical, digitalSignature"
		echo "extendedKeyUsage = serverAuth"
		echo "subjectKeyIdentifier = hash"
		echo "authorityKeyIdentifier = keyid"
		echo "subjectAltName = @san"
		echo "[san]"
		for n in $(cert_names); do
			i=$((i + 1))
			echo "DNS.$i = $n"
		done
		echo "IP.1 = $DNS_ADDR"
		echo "IP.2 = $SMTP_TLS"
		echo "IP.3 = $SMTP_PLAIN"
		echo "IP.4 = $IMAP_ADDR"
		echo "IP.5 = 127.0.0.1"
		echo "IP.6 = ::1"
	} >"$ext"
	(
		umask 077
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$t/ca.key" -out "$t/ca.pem" -days 365 -subj "/CN=mailive lab CA" \
			-addext "basicConstraints = critical, CA:TRUE" \
			-addext "keyUsage = critical, keyCertSign, cRLSign" \
			-addext "subjectKeyIdentifier = hash" &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$t/server.key" -out "$t/server.csr" -subj "/CN=mx.sut.test" &&
		openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 365 -extfile "$ext" \
			-out "$t/server.pem" &&
		openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$t/dh.pem"
	) >"$DIR/log/openssl.log" 2>&1 || { cat "$DIR/log/openssl.log" >&2; return 1; }
	chmod 644 "$t/ca.pem" "$t/server.pem" "$t/dh.pem"
	make_bad_certs >>"$DIR/log/openssl.log" 2>&1 ||
		{ cat "$DIR/log/openssl.log" >&2; return 1; }
}

# ca_sign NAME CN SAN [START END] - a leaf signed by the lab CA.  "openssl
# ca" because, unlike "x509 -req" in OpenSSL 3.0, it takes past dates.
ca_sign() {
	local t=$DIR/tls name=$1 cn=$2 san=$3 db
	db=$t/ca.db
	rm -rf "$db" && mkdir "$db" && : >"$db/index" && echo 01 >"$db/serial" &&
	cat >"$db/ca.cnf" <<-EOF || return 1
		[ca]
		default_ca = lab
		[lab]
		database = $db/index
		serial = $db/serial
		new_certs_dir = $db
		certificate = $t/ca.pem
		private_key = $t/ca.key
		default_md = sha256
		default_days = 365
		policy = anything
		copy_extensions = copy
		unique_subject = no
		[anything]
		commonName = supplied
	EOF
	(umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -subj "/CN=$cn" -addext "subjectAltName=$san" \
		-keyout "$t/$name.key" -out "$db/req.pem") &&
	openssl ca -batch -config "$db/ca.cnf" -in "$db/req.pem" \
		-out "$t/$name.pem" -notext ${4:+-startdate "$4" -enddate "$5"} &&
	rm -rf "$db" && chmod 644 "$t/$name.pem"
}

# The certificates an administrator must be warned about: self-signed,
# expired (2020), and valid but for another host name.
make_bad_certs() {
	local t=$DIR/tls
	(umask 077 && openssl req -x509 -new -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
		-subj "/CN=selfsigned.nocert.test" \
		-addext "subjectAltName=DNS:selfsigned.nocert.test,IP:$SMTP_SELFSIGNED" \
		-keyout "$t/selfsigned.key" -out "$t/selfsigned.pem") &&
	chmod 644 "$t/selfsigned.pem" &&
	ca_sign expired expired.nocert.test "IP:$SMTP_EXPIRED" \
		20200101000000Z 20200201000000Z &&
	ca_sign wronghost other.nocert.test "DNS:other.nocert.test"
}

# fill TEMPLATE OUTPUT - replace the @NAME@ placeholders.
fill() {
	local v6keep='/^@V6@/d'
	[ -n "$SMTP_V6" ] && v6keep='s/^@V6@//'
	sed -e "s|@DIR@|$DIR|g" \
		-e "s|@DNS_ADDR@|$DNS_ADDR|g" -e "s|@DNS_PORT@|$DNS_PORT|g" \
		-e "s|@IMAP_ADDR@|$IMAP_ADDR|g" \
		-e "s|@INET_PROTOCOLS@|$INET_PROTOCOLS|g" \
		-e "s|@MYNETWORKS@|$MYNETWORKS|g" \
		-e "$v6keep" "$LAB_SRC/$1" >"$2"
}

write_configs() {
	if [ -n "$SMTP_V6" ]; then
		INET_PROTOCOLS=all
		MYNETWORKS="127.0.0.0/8, [::1]/128"
	else
		INET_PROTOCOLS=ipv4
		MYNETWORKS="127.0.0.0/8"
	fi

	# dnsmasq
	mkdir -p "$DIR/dns" "$DIR/run" || return 1
	cp "$LAB_SRC/zones.conf" "$DIR/dns/zones.conf" &&
	fill dnsmasq.conf.in "$DIR/dns/dnsmasq.conf" || return 1

	# Postfix
	# Queue and data outside the config dir: "postfix check" wants every
	# file below config_directory owned by root.
	mkdir -p "$DIR/postfix" "$DIR/postfix-spool" "$DIR/postfix-data" || return 1
	chown postfix "$DIR/postfix-data" || return 1
	fill postfix-main.cf.in "$DIR/postfix/main.cf" &&
	fill postfix-master.cf.in "$DIR/postfix/master.cf" || return 1
	cat >"$DIR/postfix/virtual" <<-EOF || return 1
		reject550@sut.test	return@return.test
		defer451@sut.test	return@return.test
		responder@sut.test	responder@autoreply.lab
		bouncer@sut.test	bouncer@bounce.lab
	EOF
	# responder@sut.test answers like a vacation responder (autoreply.py);
	# bouncer@sut.test is accepted, then bounced to the sender.
	printf 'autoreply.lab\tautoreply:\nbounce.lab\terror:5.1.1 bounced by lab\n' \
		>"$DIR/postfix/transport" &&
	install -m 755 "$LAB_SRC/autoreply.py" "$DIR/autoreply.py" || return 1
	# probe@DOMAIN forwards to the return mailbox for every test domain.
	: >"$DIR/postfix/alias_domains" || return 1
	local d
	for d in $(grep -v '^#' "$LAB_SRC/forward-domains"); do
		printf '%s\tOK\n' "$d" >>"$DIR/postfix/alias_domains" &&
		printf 'probe@%s\treturn@return.test\n' "$d" \
			>>"$DIR/postfix/virtual" || return 1
	done
	cat >"$DIR/postfix/recipient_access" <<-EOF || return 1
		reject550@sut.test	550 5.1.1 rejected by lab
		defer451@sut.test	451 4.3.0 deferred by lab
	EOF
	echo "return@return.test	return/Maildir/" >"$DIR/postfix/vmailbox" || return 1
	# Postfix commands wait (up to 1.5 s, in 0.3 s steps) while main.cf
	# is younger than a second: date the fresh files back.
	touch -d '10 seconds ago' "$DIR"/postfix/* || return 1

	# The return Maildir, created up front so tests can watch it at once.
	mkdir -p "$DIR/mail/return/Maildir/new" "$DIR/mail/return/Maildir/cur" \
		"$DIR/mail/return/Maildir/tmp" || return 1
	chown -R mail:mail "$DIR/mail" &&
	chmod 700 "$DIR/mail/return" "$DIR/mail/return/Maildir" || return 1

	# Dovecot
	mkdir -p "$DIR/dovecot/run" "$DIR/dovecot/state" || return 1
	fill dovecot.conf.in "$DIR/dovecot/dovecot.conf" || return 1
	local pw
	pw=$(openssl rand -hex 12) && [ -n "$pw" ] || return 1
	(umask 077 && printf '%s' "$pw" >"$DIR/imap-password") || return 1
	(umask 027 && printf 'return:{PLAIN}%s:8:8::%s::\n' "$pw" "$DIR/mail/return" \
		>"$DIR/dovecot/users") || return 1
	chgrp dovecot "$DIR/dovecot/users"
}

write_env() {
	local tmp=$DIR/env.tmp
	cat >"$tmp" <<-EOF || return 1
		LAB_DIR=$DIR
		LAB_DNS=$DNS_ADDR:$DNS_PORT
		LAB_SMTP_TLS=$SMTP_TLS
		LAB_SMTP_PLAIN=$SMTP_PLAIN
		LAB_SMTP_SELFSIGNED=$SMTP_SELFSIGNED
		LAB_SMTP_EXPIRED=$SMTP_EXPIRED
		LAB_SMTP_WRONGHOST=$SMTP_WRONGHOST
		LAB_SMTP_V6=$SMTP_V6
		LAB_TO=probe@sut.test
		LAB_RETURN=return@return.test
		LAB_IMAP_URL=imap://$IMAP_ADDR/INBOX
		LAB_IMAPS_URL=imaps://$IMAP_ADDR/INBOX
		LAB_IMAP_USER=return
		LAB_IMAP_PASSWORD_FILE=$DIR/imap-password
		LAB_CA_FILE=$DIR/tls/ca.pem
		LAB_MAILDIR=$DIR/mail/return/Maildir
		LAB_MAILLOG=$DIR/log/postfix.log
	EOF
	mv "$tmp" "$DIR/env"
}

# Last lines of the logs, for error messages.
show_logs() {
	local f
	for f in "$DIR"/log/*.log; do
		[ -s "$f" ] || continue
		echo "--- $f (last lines)" >&2
		tail -n 8 "$f" >&2
	done
}

# --------------------------------------------------------------- commands --

# The queue directories as Postfix's own postfix-files lists them, and the
# quick-start flag that makes "postfix start" skip its checks.
# shellcheck disable=SC2016  # '$queue_directory' etc. are literal here
postfix_prepare_queue() {
	local files=/etc/postfix/postfix-files path type owner group mode rest d
	[ -r "$files" ] || return 1
	while IFS=: read -r path type owner group mode rest; do
		case $path in '$queue_directory/'?*) ;; *) continue ;; esac
		[ "$type" = d ] || continue
		owner=${owner/'$mail_owner'/postfix}
		group=${group/'$setgid_group'/postdrop}
		[ "$group" = - ] && group=
		d=$DIR/postfix-spool/${path#'$queue_directory/'}
		mkdir -p "$d" && chown "$owner${group:+:$group}" "$d" &&
			chmod "$mode" "$d" || return 1
	done <"$files"
	touch "$DIR/postfix-spool/quick-start"
}

# start_daemon NAME COMMAND... - run a daemon's start command; on failure
# report, stop whatever was started and exit.
start_daemon() {
	local name=$1 out=$DIR/log/$1-start.log
	shift
	"$@" </dev/null >"$out" 2>&1 9<&- && return 0
	err "$name did not start: $*"
	# Postfix commands print errors only to a terminal (else to the log,
	# which is not up yet): ask "postfix check" again on a pty.
	if [ "$name" = postfix ] && command -v script >/dev/null 2>&1; then
		script -qec "postfix -c $DIR/postfix check" /dev/null >>"$out" 2>&1 9<&-
	fi
	sed 's/^/  /' "$out" >&2
	show_logs
	stop_all
	err "stopped what was started; logs kept in $DIR/log"
	exit 1
}

cmd_up() {
	local t0 proto addr port who bad deadline
	now_ms
	t0=$NOW
	if healthy; then
		if ! stale; then
			say "already up ($DIR)"
			return 0
		fi
		say "tests/lab changed since the lab was started: restarting it"
	fi
	# Left-overs of an earlier, broken or stale run: stop them, start
	# from scratch.
	if [ -e "$DIR" ]; then
		[ -f "$DIR/.mailive-lab" ] || [ -z "$(ls -A "$DIR" 2>/dev/null)" ] ||
			die "$DIR exists and is not a lab state dir (no .mailive-lab): not using it"
		stop_all || die "could not stop the daemons of an earlier run in $DIR"
		wipe_dir
	fi

	SMTP_V6=
	v6_usable && SMTP_V6=::1

	# Someone else on our addresses (another lab dir, a system MTA)?
	bad=""
	while read -r proto addr port who; do
		listening "$proto" "$addr" "$port" && bad="$bad $(fmt_listener "$proto" "$addr" "$port")"
	done < <(listeners)
	[ -z "$bad" ] || die "already in use by another process:$bad"

	mkdir -p "$DIR/log" || die "cannot create $DIR"
	touch "$DIR/.mailive-lab"
	sources_sum >"$DIR/sources.sum"
	echo "$SMTP_V6" >"$DIR/v6"
	make_certs || die "certificate generation failed"
	write_configs || die "writing the configs failed"

	# Start everything; on any failure stop what was started.  The
	# daemons keep stdout/stderr open, so they go to files, never to a pipe.
	start_daemon dnsmasq dnsmasq --conf-file="$DIR/dns/dnsmasq.conf"
	start_daemon dovecot dovecot -c "$DIR/dovecot/dovecot.conf"
	# "postfix start" spends ~2 s in its integrity checks (two dozen
	# postconf runs); the queue directories made here plus quick-start
	# skip them.  Should that fail, the full start runs and reports.
	if ! { postfix_prepare_queue &&
		postfix -c "$DIR/postfix" start </dev/null >"$DIR/log/postfix-start.log" 2>&1 9<&-; }; then
		rm -f "$DIR/postfix-spool/quick-start"
		start_daemon postfix postfix -c "$DIR/postfix" start
	fi

	# Bounded wait for every daemon and listener.
	now_ms
	deadline=$((NOW + UP_TIMEOUT * 1000))
	while :; do
		bad=$(missing)
		[ -z "$bad" ] && break
		now_ms
		if [ $NOW -ge $deadline ]; then
			err "not up after ${UP_TIMEOUT}s:"
			printf '%s\n' "$bad" | sed 's/^/  /' >&2
			show_logs
			stop_all
			err "stopped what was started; logs kept in $DIR/log"
			exit 1
		fi
		sleep 0.05
	done

	bad=$(functional_failures)
	if [ -n "$bad" ]; then
		err "listening, but not working:"
		printf '%s\n' "$bad" | sed 's/^/  /' >&2
		show_logs
		stop_all
		err "stopped what was started; logs kept in $DIR/log"
		exit 1
	fi

	write_env || { stop_all; die "cannot write $DIR/env"; }
	now_ms
	say "up in $((NOW - t0)) ms ($DIR)"
}

cmd_down() {
	if [ ! -e "$DIR" ]; then
		say "not running"
		return 0
	fi
	[ -f "$DIR/.mailive-lab" ] || [ -z "$(ls -A "$DIR" 2>/dev/null)" ] ||
		die "$DIR is not a lab state dir (no .mailive-lab): not touching it"
	stop_all || die "some processes did not stop; $DIR kept"
	wipe_dir
	say "down"
}

cmd_status() {
	local bad
	if [ ! -f "$DIR/.mailive-lab" ]; then
		err "not running (no state dir $DIR)"
		return 1
	fi
	load_v6
	bad=$(missing)
	[ -s "$DIR/env" ] || bad="${bad:+$bad
}env file $DIR/env"
	if [ -n "$bad" ]; then
		err "missing:"
		printf '%s\n' "$bad" | sed 's/^/  /' >&2
		return 1
	fi
	say "up ($DIR): dnsmasq $(daemon_pid dnsmasq), postfix $(daemon_pid postfix), dovecot $(daemon_pid dovecot)"
}

cmd_env() {
	[ -s "$DIR/env" ] || die "not up (no $DIR/env); run: $0 up"
	cat "$DIR/env"
}

# ------------------------------------------------------------------- main --

[ $# = 1 ] || usage
case $1 in up | down | status | env) ;; *) usage ;; esac

if [ "$(id -u)" != 0 ]; then
	echo "lab: needs root (binds port 25)" >&2
	exit 77
fi

case $DIR in
/*) ;;
*) die "MAILIVE_LAB_DIR must be an absolute path: $DIR" ;;
esac
case $DIR in
*[!A-Za-z0-9_./-]* | */ | *..* | /tmp | /var | /usr | /etc | /root | /home)
	die "MAILIVE_LAB_DIR must be a plain path (letters, digits, _ . / -), not $DIR" ;;
esac
# Unix sockets (Dovecot, Postfix) live below it: keep it short.
[ ${#DIR} -le 60 ] || die "MAILIVE_LAB_DIR is too long (max 60 characters): $DIR"

for tool in postfix dovecot dnsmasq openssl; do
	command -v $tool >/dev/null 2>&1 ||
		die "$tool not found (run scripts/install-deps.sh)"
done

# One lab command at a time: a lock on the state dir's parent (it outlives
# the state dir and leaves no lock file behind; the ports are shared anyway).
LOCKDIR=${DIR%/*}
{ mkdir -p "${LOCKDIR:=/}" && exec 9<"$LOCKDIR"; } || die "cannot open $LOCKDIR"
flock -w 60 9 || die "another lab.sh is still running"

case $1 in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
esac
