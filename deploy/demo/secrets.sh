#!/bin/sh
# One-shot step of docker-compose.yml (service "secrets", API image, run as root): on first start it makes
#   /mesh/secrets/master.key   base64 of 32 random bytes, the API's Mesh:Auth:MasterKey (encrypts key secrets at rest)
#   /mesh/secrets/credentials  an admin access key for account $Mesh__AccountId, AWS shared-credentials format (0600)
# in the "secrets" volume. Later starts keep both. To start over: docker compose down -v.
set -eu
dir=/mesh/secrets
mkdir -p "$dir"

if [ ! -s "$dir/master.key" ]; then
  umask 022 # the API runs as the image's "app" user and only needs to read it
  head -c 32 /dev/urandom | base64 -w 0 > "$dir/master.key.tmp"
  mv "$dir/master.key.tmp" "$dir/master.key"
  echo "secrets: made a master key"
fi

Mesh__Auth__MasterKey=$(cat "$dir/master.key")
export Mesh__Auth__MasterKey

if [ ! -s "$dir/credentials" ]; then
  dotnet /app/Mesh.Api.dll keys create --account "$Mesh__AccountId" --admin \
    --description "docker compose demo admin" --credentials-file "$dir/credentials" --profile default
else
  echo "secrets: keeping the existing admin key in $dir/credentials"
fi
