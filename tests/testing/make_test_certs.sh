#!/usr/bin/env bash
# Throwaway certificates for TLS tests, made with openssl at test time (nothing secret is kept
# in the repository):
#   ca.crt/ca.key            the test CA
#   server.crt/server.key    signed by it, for localhost and 127.0.0.1 (server and client use)
#   server2.crt/server2.key  the same names, another key: a renewed certificate
#   elsewhere.crt/.key       signed by the test CA for db.example only (a name check fails)
#   client.crt/client.key    a client certificate signed by the test CA (CN=claims-test-client)
#   other-ca.crt, other-client.crt/.key   a second CA and a client it signed (not trusted)
#   make_test_certs.sh DIR
set -euo pipefail
dir=${1:?DIR}
mkdir -p "$dir"
cd "$dir"
days=3

ca() {  # ca NAME SUBJECT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.crt" -days "$days" \
    -subj "$2" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign \
    2>/dev/null
}
leaf() {  # leaf NAME CA SUBJECT EXTENSIONS
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.csr" -subj "$3" 2>/dev/null
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -out "$1.crt" \
    -days "$days" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca "/CN=claims test CA"
server_ext=$'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE'
leaf server ca "/CN=localhost/O=claims test server" "$server_ext"
leaf server2 ca "/CN=localhost/O=claims test server renewed" "$server_ext"
leaf elsewhere ca "/CN=db.example" $'subjectAltName=DNS:db.example\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE'
client_ext=$'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE'
leaf client ca "/CN=claims-test-client" "$client_ext"
ca other-ca "/CN=another CA"
leaf other-client other-ca "/CN=stranger" "$client_ext"
# MariaDB reads its key as the server user; tests run as that user anyway.
chmod 600 ./*.key
