#!/bin/sh
# One-shot step of docker-compose.yml, in the network namespace of a demo service (network_mode: service:<app>), with
# NET_ADMIN: sends inbound TCP for the application's port to the sidecar's ingress listener (15000), as App Mesh's
# proxy init container did (APPMESH_APP_PORTS → APPMESH_ENVOY_INGRESS_PORT). Envoy's original_dst listener filter then
# sees the original port and picks the filter chain for it. Envoy's own connections to 127.0.0.1:<port> are local
# (OUTPUT, not PREROUTING), so they reach the application.
# Runs in the image of deploy/Dockerfile's redirect target, which carries iptables: nothing is installed at start.
# Usage: redirect.sh <app port> [ingress port]
set -eu
app_port=$1
ingress_port=${2:-15000}
rule="-p tcp --dport $app_port -j REDIRECT --to-ports $ingress_port"
for iptables in iptables iptables-legacy; do
  if $iptables -t nat -L PREROUTING >/dev/null 2>&1; then
    # shellcheck disable=SC2086 # $rule is a list of arguments
    $iptables -t nat -C PREROUTING $rule 2>/dev/null || $iptables -t nat -A PREROUTING $rule
    echo "redirect: tcp port $app_port -> $ingress_port ($iptables)"
    exit 0
  fi
done
echo "redirect: neither iptables (nft) nor iptables-legacy works here" >&2
exit 1
