#!/usr/bin/env bash
# Generates throwaway test certificates into DIR (default: a new temp dir, printed on stdout):
#   ca.pem / ca.key        a self-signed CA
#   leaf.pem / leaf.key    a server certificate signed by the CA, SAN localhost, 127.0.0.1, ::1,
#                          basicConstraints CA:FALSE
#   other-ca.pem           an unrelated CA (for "untrusted CA" tests)
#   wrongname.pem / .key   signed by the CA but only for wrong.example (for "name mismatch" tests)
#   client.pem / .key      a client certificate (CN sockit test client) signed by the CA (mutual TLS)
#   rogue.pem / .key       a client certificate signed by the other CA (refused by --require-cert)
# Nothing here is committed: the tests run this at test time.
set -euo pipefail
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
cd "$dir"
days=2
quiet() { "$@" >/dev/null 2>&1 || { echo "make_test_certs: failed: $*" >&2; "$@"; exit 1; }; }

quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj "/CN=sockit test CA" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj "/CN=sockit other CA" -keyout other-ca.key -out other-ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

leaf() { # NAME CN SAN [CA]
  quiet openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$2" -keyout "$1.key" -out "$1.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "subjectAltName=$3" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth,clientAuth" >"$1.ext"
  quiet openssl x509 -req -in "$1.csr" -CA "${4:-ca}.pem" -CAkey "${4:-ca}.key" -CAcreateserial -days "$days" \
    -extfile "$1.ext" -out "$1.pem"
  rm -f "$1.csr" "$1.ext"
}
leaf leaf localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
leaf wrongname wrong.example "DNS:wrong.example"
leaf client "sockit test client" "DNS:client.example"
leaf rogue "sockit rogue client" "DNS:rogue.example" other-ca
echo "$dir"
