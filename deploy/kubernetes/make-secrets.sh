#!/usr/bin/env bash
# Writes the files an overlay's secretGenerator reads into <overlay>/secrets/ (kept out of git by .gitignore):
#   master.key         Mesh:Auth:MasterKey, base64 of 32 random bytes; kept if present, since access-key secrets
#                      stored under it cannot be read with another key
#   connection-string  ConnectionStrings:Mesh; the argument, or with --try-it the overlay's own PostgreSQL
#   postgres-password  with --try-it: the password of that PostgreSQL
#   xds-ca.crt, xds-tls.crt, xds-tls.key
#                      a CA and the xDS server's certificate, for the names proxies use to reach it; kept if present.
#                      Proxies trust xds-ca.crt (bootstrap --xds-tls --ca, or App Mesh's image's CA bundle).
#   webhook-ca.crt, webhook-tls.crt, webhook-tls.key, webhook-ca-bundle.yaml
#                      the same for the sidecar injector, and the caBundle patch for its MutatingWebhookConfiguration
# Usage: make-secrets.sh <overlay dir> <connection string>
#        make-secrets.sh --try-it <overlay dir>
set -euo pipefail

case ${1:-} in
  -h | --help | help)
    # The comment block at the top of this file is the help.
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0 ;;
  -*)
    [[ $1 == --try-it ]] || { printf 'make-secrets.sh: unknown option %s (see make-secrets.sh --help)\n' "$1" >&2; exit 2; } ;;
esac

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

# issue <name> <DNS names...>: a CA of its own (<name>-ca.crt) and a server certificate signed by it (<name>-tls.*).
issue() {
  local name=$1 sans
  shift
  [[ -s $out/$name-tls.crt ]] && return 0
  sans=$(printf 'DNS:%s,' "$@")
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=mesh $name CA" \
    -keyout "$out/$name-ca.key" -out "$out/$name-ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$out/$name-tls.key" -out "$out/$name-tls.csr" 2>/dev/null
  openssl x509 -req -in "$out/$name-tls.csr" -CA "$out/$name-ca.crt" -CAkey "$out/$name-ca.key" -CAcreateserial \
    -days 825 -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "${sans%,}") \
    -out "$out/$name-tls.crt" 2>/dev/null
  rm -f "$out/$name-tls.csr" "$out/$name-ca.srl"
}
issue xds mesh-xds "mesh-xds.$namespace.svc" "mesh-xds.$namespace.svc.cluster.local"
# The API server calls the webhook by its Service name, <service>.<namespace>.svc.
issue webhook "mesh-webhook.$namespace.svc" "mesh-webhook.$namespace.svc.cluster.local"

# The caBundle the API server checks the webhook's certificate against, as a JSON patch the overlay applies.
printf -- '- op: add\n  path: /webhooks/0/clientConfig/caBundle\n  value: %s\n' "$(base64 -w0 "$out/webhook-ca.crt")" \
  >"$out/webhook-ca-bundle.yaml"
echo "wrote $out"
