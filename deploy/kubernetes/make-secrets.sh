#!/usr/bin/env bash
# Writes the files an overlay's secretGenerator reads into <overlay>/secrets/ (kept out of git by .gitignore):
#   master.key         Mesh:Auth:MasterKey, base64 of 32 random bytes; kept if present, since access-key secrets
#                      stored under it cannot be read with another key
#   connection-string  ConnectionStrings:Mesh; the argument, or with --try-it the overlay's own PostgreSQL
#   postgres-password  with --try-it: the password of that PostgreSQL
#   xds-ca.crt, xds-tls.crt, xds-tls.key
#                      a CA and the xDS server's certificate, for the names proxies use to reach it; kept if present.
#                      Proxies trust xds-ca.crt (bootstrap --xds-tls --ca, or App Mesh's image's CA bundle).
# Usage: make-secrets.sh <overlay dir> <connection string>
#        make-secrets.sh --try-it <overlay dir>
set -euo pipefail

try_it=0
if [[ ${1:-} == --try-it ]]; then
  try_it=1
  shift
fi
overlay=${1:?usage: make-secrets.sh <overlay dir> <connection string> | --try-it <overlay dir>}
connection_string=${2:-}
((try_it)) || [[ -n $connection_string ]] || { echo "make-secrets.sh: give the PostgreSQL connection string" >&2; exit 2; }
namespace=${MESH_NAMESPACE:-mesh-system}
out=$overlay/secrets
mkdir -p "$out"
umask 077

if [[ ! -s $out/master.key ]]; then
  head -c 32 /dev/urandom | base64 -w0 >"$out/master.key"
fi

if ((try_it)); then
  [[ -s $out/postgres-password ]] || head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$out/postgres-password"
  connection_string="Host=mesh-postgres.$namespace.svc;Port=5432;Database=mesh;Username=mesh;Password=$(cat "$out/postgres-password")"
fi
printf '%s' "$connection_string" >"$out/connection-string"

if [[ ! -s $out/xds-tls.crt ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=mesh xds CA" \
    -keyout "$out/xds-ca.key" -out "$out/xds-ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=mesh-xds" \
    -keyout "$out/xds-tls.key" -out "$out/xds-tls.csr" 2>/dev/null
  openssl x509 -req -in "$out/xds-tls.csr" -CA "$out/xds-ca.crt" -CAkey "$out/xds-ca.key" -CAcreateserial -days 825 \
    -extfile <(printf 'subjectAltName=DNS:mesh-xds,DNS:mesh-xds.%s.svc,DNS:mesh-xds.%s.svc.cluster.local\nextendedKeyUsage=serverAuth\n' \
      "$namespace" "$namespace") -out "$out/xds-tls.crt" 2>/dev/null
  rm -f "$out/xds-tls.csr" "$out/xds-ca.srl"
fi
echo "wrote $out"
