#!/usr/bin/env bash
# The canary from the App Mesh story, against Mesh: builds mesh "demo" with the AWS CLI (two virtual nodes, a
# virtual router and route, a virtual service, a virtual gateway and a gateway route), then shifts the route's
# weights web-v1/web-v2 100/0 -> 97/3 -> 0/100, sending requests through the gateway at each step.
# web-v1 is found by DNS; web-v2 through Cloud Map, where demo/cloudmap-register.sh (compose: web-v2-register) puts it.
#
# In the compose stack:   docker compose up --build -d && docker compose run --rm demo
# Elsewhere:              MESH_API_URL=… MESH_GATEWAY_URL=… AWS_SHARED_CREDENTIALS_FILE=… demo/canary.sh
# Running it again is fine: what exists is kept, and the weights are set again.
set -euo pipefail

API=${MESH_API_URL:-http://127.0.0.1:8080}
GATEWAY=${MESH_GATEWAY_URL:-http://127.0.0.1:8088}
MESH=${MESH_NAME:-demo}
SERVICE=web.$MESH.local
REQUESTS=${REQUESTS:-100}
SETTLE_SECONDS=${SETTLE_SECONDS:-60} # how long a weight change may take to reach the gateway
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1} AWS_PAGER=""

am() { aws appmesh --endpoint-url "$API" --output json "$@"; }

# Runs a create-* call; an existing resource (ConflictException) is fine, anything else stops the script.
ensure() {
  local what=$1 out
  shift
  if out=$(am "$@" 2>&1); then
    echo "created  $what"
  elif grep -q ConflictException <<<"$out"; then
    echo "exists   $what"
  else
    echo "$out" >&2
    return 1
  fi
}

wait_for() { # <what> <seconds> <command…>
  local what=$1 seconds=$2 i
  shift 2
  for ((i = 0; i < seconds; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "gave up waiting for $what after ${seconds}s" >&2
  return 1
}

node_spec() { # <name> : an HTTP listener on 8080, found by its compose service name
  printf '{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"%s"}}}' "$1"
}

cloud_map_node_spec() { # <service> : an HTTP listener on 8080, found through Cloud Map (demo/cloudmap-register.sh registers it)
  printf '{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"awsCloudMap":{"namespaceName":"%s","serviceName":"%s"}}}' "${CLOUD_MAP_NAMESPACE:-demo.local}" "$1"
}

route_spec() { # <v1 weight> <v2 weight>
  printf '{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"web-v1","weight":%d},{"virtualNode":"web-v2","weight":%d}]}}}' "$1" "$2"
}

# One pass of $REQUESTS requests through the gateway; prints "v1 v2 errors".
sample() {
  local v1=0 v2=0 errors=0 body i
  for ((i = 0; i < REQUESTS; i++)); do
    body=$(curl -fsS --max-time 3 "$GATEWAY/" 2>/dev/null || true)
    case $body in
      "web v1") v1=$((v1 + 1)) ;;
      "web v2") v2=$((v2 + 1)) ;;
      *) errors=$((errors + 1)) ;;
    esac
  done
  echo "$v1 $v2 $errors"
}

only() { # <expected body> : a short run gets nothing else
  local got i
  for ((i = 0; i < 10; i++)); do
    got=$(curl -fsS --max-time 3 "$GATEWAY/" 2>/dev/null) || return 1
    [[ $got == "$1" ]] || return 1
  done
}

echo "== API $API, gateway $GATEWAY"
wait_for "the API" 120 curl -fsS "$API/healthz"
am list-meshes >/dev/null # fails early on missing or wrong credentials

echo "== mesh"
ensure "mesh $MESH" create-mesh --mesh-name "$MESH" --spec '{"egressFilter":{"type":"DROP_ALL"}}'
ensure "virtual node web-v1" create-virtual-node --mesh-name "$MESH" --virtual-node-name web-v1 --spec "$(node_spec web-v1)"
ensure "virtual node web-v2" create-virtual-node --mesh-name "$MESH" --virtual-node-name web-v2 --spec "$(cloud_map_node_spec web-v2)"
ensure "virtual router web" create-virtual-router --mesh-name "$MESH" --virtual-router-name web \
  --spec '{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}'
ensure "route web/canary" create-route --mesh-name "$MESH" --virtual-router-name web --route-name canary --spec "$(route_spec 100 0)"
ensure "virtual service $SERVICE" create-virtual-service --mesh-name "$MESH" --virtual-service-name "$SERVICE" \
  --spec '{"provider":{"virtualRouter":{"virtualRouterName":"web"}}}'
ensure "virtual gateway gateway" create-virtual-gateway --mesh-name "$MESH" --virtual-gateway-name gateway \
  --spec '{"listeners":[{"portMapping":{"port":8088,"protocol":"http"}}]}'
ensure "gateway route gateway/web" create-gateway-route --mesh-name "$MESH" --virtual-gateway-name gateway --gateway-route-name web \
  --spec "{\"httpRoute\":{\"match\":{\"prefix\":\"/\"},\"action\":{\"target\":{\"virtualService\":{\"virtualServiceName\":\"$SERVICE\"}}}}}"

status=0
step() { # <v1 weight> <v2 weight>
  echo "== weights web-v1/web-v2 = $1/$2"
  am update-route --mesh-name "$MESH" --virtual-router-name web --route-name canary --spec "$(route_spec "$1" "$2")" >/dev/null
  if (($2 == 0)); then
    wait_for "only web v1 behind the gateway" "$SETTLE_SECONDS" only "web v1" || status=1
  elif (($1 == 0)); then
    wait_for "only web v2 behind the gateway" "$SETTLE_SECONDS" only "web v2" || status=1
  else
    wait_for "web v2 behind the gateway" "$SETTLE_SECONDS" bash -c "for i in \$(seq 200); do [[ \$(curl -fsS --max-time 3 '$GATEWAY/') == 'web v2' ]] && exit 0; done; exit 1" || status=1
  fi
  read -r v1 v2 errors < <(sample)
  printf '   %d requests: web v1 %d, web v2 %d, errors %d\n' "$REQUESTS" "$v1" "$v2" "$errors"
  if ((errors > 0)); then status=1; fi
}

step 100 0
step 97 3
step 0 100

if ((status == 0)); then echo "== canary done: all traffic moved to web-v2"; else echo "== canary finished with problems (see above)" >&2; fi
exit "$status"
