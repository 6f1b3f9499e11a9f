#!/bin/sh
# grpc_certs.sh <dir> - writes test certificates for the gRPC TLS tests with
# the openssl command line (fixtures only; SealDB itself does its TLS through
# the FIPS provider): an EC P-256 CA (ca.pem), a server certificate for
# localhost / 127.0.0.1 (server.pem, server.key), a client certificate
# (client.pem, client.key, CN=alice) and an unrelated CA (other-ca.pem).
set -eu
D=$1
mkdir -p "$D"
cd "$D"
EC="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
mkca() {
    openssl req -x509 $EC -keyout "$1.key" -out "$1.pem" -days 2 -subj "/O=SealDB/CN=$2" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        2>/dev/null
}
mkcert() { # name cn san
    openssl req $EC -keyout "$1.key" -out "$1.csr" -subj "/O=SealDB/CN=$2" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n%s\n' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" \
        -days 2 -sha256 -extfile "$1.ext" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
mkca ca "SealDB Test CA"
mkca other-ca "Other CA"
mkcert server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1"
mkcert client alice ""
