#!/usr/bin/env bash
# Regenerates the demo's Envoy bootstraps in deploy/demo/envoy/ with the API binary's bootstrap command.
# tests/Mesh.Api.Tests (DemoBootstrapTests) runs the same command lines and fails when a committed file differs.
# The command reads configuration only; it needs ConnectionStrings__Mesh set but never connects.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
dotnet build src/Api -c Release -v quiet -nologo >/dev/null
api() { ConnectionStrings__Mesh=unused dotnet src/Api/bin/Release/net10.0/Mesh.Api.dll "$@"; }

api bootstrap --node mesh/demo/virtualNode/web-v1 --xds xds:18000 > deploy/demo/envoy/web-v1.yaml
api bootstrap --node mesh/demo/virtualNode/web-v2 --xds xds:18000 > deploy/demo/envoy/web-v2.yaml
api bootstrap --node mesh/demo/virtualGateway/gateway --xds xds:18000 > deploy/demo/envoy/gateway.yaml
echo "wrote deploy/demo/envoy/{web-v1,web-v2,gateway}.yaml"
