#!/usr/bin/env bash
# Registers one container in Mesh's Cloud Map while it runs, the way ECS registered tasks for App Mesh users
# (docs/cloud-map.md, "Registering instances"): makes the HTTP namespace and the service when they are missing,
# registers the instance's address, then waits; on SIGTERM (docker compose stop/down) it deregisters.
#
# In the compose stack it runs as "web-v2-register" for web-v2. Elsewhere:
#   MESH_API_URL=… AWS_SHARED_CREDENTIALS_FILE=… INSTANCE_HOST=web-v2 demo/cloudmap-register.sh
set -euo pipefail

API=${MESH_API_URL:-http://127.0.0.1:8080}
NAMESPACE=${CLOUD_MAP_NAMESPACE:-demo.local}
SERVICE=${CLOUD_MAP_SERVICE:-${INSTANCE_HOST:?INSTANCE_HOST names the container to register}}
PORT=${INSTANCE_PORT:-8080}
INSTANCE=${INSTANCE_ID:-$INSTANCE_HOST}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1} AWS_PAGER=""

sd() { aws servicediscovery --endpoint-url "$API" --output text "$@"; }

for ((i = 0; i < 120; i++)); do
  if curl -fsS "$API/healthz" >/dev/null 2>&1 && ns=$(sd list-namespaces --filters "Name=NAME,Values=$NAMESPACE,Condition=EQ" --query 'Namespaces[0].Id'); then
    break
  fi
  sleep 1
done

if [[ ${ns:-None} == None ]]; then
  # Another replica of this script may create it first: NamespaceAlreadyExists is fine, the lookup below finds it.
  sd create-http-namespace --name "$NAMESPACE" >/dev/null 2>&1 || true
  ns=$(sd list-namespaces --filters "Name=NAME,Values=$NAMESPACE,Condition=EQ" --query 'Namespaces[0].Id')
fi

service=$(sd list-services --filters "Name=NAMESPACE_ID,Values=$ns,Condition=EQ" --query "Services[?Name=='$SERVICE'].Id | [0]")
if [[ $service == None ]]; then
  service=$(sd create-service --name "$SERVICE" --namespace-id "$ns" --health-check-custom-config FailureThreshold=1 --query Service.Id 2>/dev/null \
    || sd list-services --filters "Name=NAMESPACE_ID,Values=$ns,Condition=EQ" --query "Services[?Name=='$SERVICE'].Id | [0]")
fi

address=$(getent hosts "$INSTANCE_HOST" | awk '{ print $1; exit }')
[[ -n $address ]] || { echo "cannot resolve $INSTANCE_HOST" >&2; exit 1; }

deregister() {
  sd deregister-instance --service-id "$service" --instance-id "$INSTANCE" >/dev/null && echo "deregistered $INSTANCE"
  exit 0
}
trap deregister TERM INT

sd register-instance --service-id "$service" --instance-id "$INSTANCE" \
  --attributes "AWS_INSTANCE_IPV4=$address,AWS_INSTANCE_PORT=$PORT,AVAILABILITY_ZONE=${AVAILABILITY_ZONE:-local}" >/dev/null
echo "registered $INSTANCE ($address:$PORT) as $SERVICE.$NAMESPACE ($service)"

# Wait in the background so the TERM trap runs at once.
sleep infinity &
wait $!
