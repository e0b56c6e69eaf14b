#!/bin/sh
# mkcerts.sh DIR - make throwaway TLS certificates for fakesmtp.py tests.
#
# Writes into DIR (created if needed):
#   ca.pem                    a test CA; give it to the probe as trust anchor
#   good.pem, good.key        CA-signed, localhost / 127.0.0.1 / ::1, valid
#   expired.pem, expired.key  CA-signed, localhost, expired in 2020
#   wronghost.pem, .key       CA-signed, valid, but for wrong.example only
#   selfsigned.pem, .key      self-signed, localhost, valid
# Run it once per test run in a temporary directory; nothing here is secret.
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=fakesmtp test CA" \
    -keyout ca.key -out ca.pem 2>/dev/null

# leaf NAME CN SAN [STARTDATE ENDDATE]: a CA-signed leaf certificate.
# `openssl ca` is used because it, unlike `x509 -req` in OpenSSL 3.0,
# accepts explicit (past) validity dates.
leaf() {
	name=$1 cn=$2 san=$3
	start=${4:-} end=${5:-}
	rm -rf ca.db && mkdir ca.db && : > ca.db/index && echo 01 > ca.db/serial
	cat > ca.db/ca.cnf <<CNF
[ ca ]
default_ca = fake
[ fake ]
database = ca.db/index
serial = ca.db/serial
new_certs_dir = ca.db
certificate = ca.pem
private_key = ca.key
default_md = sha256
default_days = 2
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
CNF
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$cn" \
	    -addext "subjectAltName=$san" -keyout "$name.key" -out ca.db/req.pem 2>/dev/null
	if [ -n "$start" ]; then
		openssl ca -batch -config ca.db/ca.cnf -in ca.db/req.pem -out "$name.pem" \
		    -startdate "$start" -enddate "$end" -notext 2>/dev/null
	else
		openssl ca -batch -config ca.db/ca.cnf -in ca.db/req.pem -out "$name.pem" \
		    -notext 2>/dev/null
	fi
	rm -rf ca.db
}

leaf good localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
leaf expired localhost "DNS:localhost,IP:127.0.0.1,IP:::1" 20200101000000Z 20200102000000Z
leaf wronghost wrong.example "DNS:wrong.example"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
    -keyout selfsigned.key -out selfsigned.pem 2>/dev/null
