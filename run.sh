#!/usr/bin/env bash
# Starts the whole local stack without Docker: PostgreSQL from this machine's binaries (data under
# .mesh/pg), the migrations, the API and the xDS server. Ctrl-C stops everything (kill -TERM when it runs in
# the background without a terminal). Safe to re-run: existing data is kept.
#
# Usage: ./run.sh [--help | --version]
#
# Environment (all optional):
#   MESH_PG_PORT       PostgreSQL TCP port on 127.0.0.1                  (default 5432)
#   MESH_API_URL       API listen URL                                    (default http://127.0.0.1:8080)
#   MESH_XDS_GRPC_URL  xDS gRPC (h2c) listen URL; also the address GET /envoy/bootstrap writes
#                                                                        (default http://127.0.0.1:18000)
#   MESH_XDS_ADMIN_URL xDS admin listen URL (/healthz, /readyz, /metrics, /proxy-status)
#                                                                        (default http://127.0.0.1:18001)
#   MESH_PG_BIN        directory holding initdb/pg_ctl                   (default: newest /usr/lib/postgresql/*/bin)
#   MESH_NO_BUILD=1    skip the build (use what is already built)
#   MESH_CONFIGURATION the build configuration to build and run           (default Release)
#   MESH_XDS_READY_TO_RUN=0  build the xDS server without ReadyToRun code (a plain dotnet build; README.md, "./run.sh")
#   MESH_API_READY_TO_RUN=1  publish and run the API with ReadyToRun code (default 0: the plain build; README.md, "./run.sh")
#   MESH_XDS_INSTRUCTION_SET compile the xDS server's ReadyToRun code for an instruction set, with tiered compilation
#                      off: auto (x86-64-v3 if this machine has it) or a crossgen2 name (default: unset, the
#                      portable code with tiering; README.md, "./run.sh")
#   MESH_STATE_DIR     where the data, keys and logs live                (default .mesh in the checkout)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")"
ROOT=$PWD

case ${1:-} in
  -h | --help | help)
    # The comment block at the top of this file is the help.
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0 ;;
  --version)
    echo "Mesh run.sh ($(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo 'not a git checkout'))"
    exit 0 ;;
  "") ;;
  *)
    printf 'run.sh: unknown argument %s (see ./run.sh --help)\n' "$1" >&2
    exit 2 ;;
esac

STATE=${MESH_STATE_DIR:-$ROOT/.mesh}
PGDATA=$STATE/pg
PGSOCK=$STATE/run
LOGS=$STATE/logs
PG_PORT=${MESH_PG_PORT:-5432}
API_URL=${MESH_API_URL:-http://127.0.0.1:8080}
XDS_GRPC_URL=${MESH_XDS_GRPC_URL:-http://127.0.0.1:18000}
XDS_ADMIN_URL=${MESH_XDS_ADMIN_URL:-http://127.0.0.1:18001}
CONFIGURATION=${MESH_CONFIGURATION:-Release}
DB_NAME=mesh
DB_USER=postgres

API_BUILD_DLL=src/Api/bin/$CONFIGURATION/net10.0/Mesh.Api.dll
XDS_BUILD_DLL=src/XdsServer/bin/$CONFIGURATION/net10.0/Mesh.XdsServer.dll
# The xDS server is published with ReadyToRun code (precompiled by crossgen2, restored from NuGet) for this machine's
# runtime, so the JIT has less to compile while it starts, while proxies connect and at the first change (the
# csproj says what it saved). Without a known runtime identifier, or with MESH_XDS_READY_TO_RUN=0, a plain build runs.
case $(uname -m) in
  x86_64) XDS_RID=linux-x64 ;;
  aarch64 | arm64) XDS_RID=linux-arm64 ;;
  *) XDS_RID= ;;
esac
API_RID=$XDS_RID
[[ ${MESH_XDS_READY_TO_RUN:-1} == 0 ]] && XDS_RID=
# Opt-in: the API published the same way (portable code, tiering on). It starts with about 40% less CPU, but its
# first 60,000 Describes cost no less CPU than the plain build's (the precompiled hot methods are compiled again,
# through the instrumented tier), so the first minute is not shorter (docs/benchmarks.md, issue14ac).
[[ ${MESH_API_READY_TO_RUN:-0} == 1 ]] || API_RID=
API_PUBLISH_DIR=src/Api/bin/$CONFIGURATION/net10.0/$API_RID/publish
API_DLL=$API_BUILD_DLL
[[ -n $API_RID ]] && API_DLL=$API_PUBLISH_DIR/Mesh.Api.dll
# Opt-in: the server is published and run on this machine, so its code may use this machine's instructions; with
# them (and inlining across assemblies) the csproj turns tiering off, so the connect and the changes stop paying the
# JIT to recompile hot methods. Not the default: at 5,000 proxies the untiered code made steady changes dearer
# (docs/benchmarks.md, issue13af). auto picks x86-64-v3 (AVX2, BMI1/2, FMA, F16C, LZCNT (abm), MOVBE) if all are here.
x86_64_v3_here() {
  local flags
  flags=" $(grep -m 1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
  for flag in avx avx2 bmi1 bmi2 fma f16c abm movbe; do
    [[ $flags == *" $flag "* ]] || return 1
  done
}
XDS_INSTRUCTION_SET=${MESH_XDS_INSTRUCTION_SET:-}
if [[ $XDS_INSTRUCTION_SET == auto ]]; then
  XDS_INSTRUCTION_SET=
  [[ $XDS_RID == linux-x64 ]] && x86_64_v3_here && XDS_INSTRUCTION_SET=x86-64-v3
fi
XDS_PUBLISH_DIR=src/XdsServer/bin/$CONFIGURATION/net10.0/$XDS_RID/publish
XDS_DLL=$XDS_BUILD_DLL
[[ -n $XDS_RID ]] && XDS_DLL=$XDS_PUBLISH_DIR/Mesh.XdsServer.dll
MIGRATIONS_DLL=migrations/bin/$CONFIGURATION/net10.0/Mesh.Migrations.dll

if [[ -t 1 ]]; then
  say() { printf '\033[1mrun.sh:\033[0m %s\n' "$*"; }
else
  say() { printf 'run.sh: %s\n' "$*"; }
fi
die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }

# --- prerequisites -------------------------------------------------------------------------------
command -v dotnet >/dev/null || die "the .NET 10 SDK is required (dotnet not on PATH)"
command -v curl >/dev/null || die "curl is required"

PG_BIN=${MESH_PG_BIN:-}
if [[ -z $PG_BIN ]]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] ||
  die "PostgreSQL server binaries not found (apt-get install postgresql, or set MESH_PG_BIN)"

# PostgreSQL refuses to run as root: run it as nobody, which must own its data and socket directory.
if [[ $(id -u) -eq 0 ]]; then
  PG_USER=nobody
  as_pg() { runuser -u "$PG_USER" -- "$@"; }
else
  PG_USER=$(id -un)
  as_pg() { "$@"; }
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
healthy() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

# --- build ---------------------------------------------------------------------------------------
HAVE_XDS=0
XDS_BUILD_FAILED=0
# Each project's line shows as it finishes, so a first build (which also restores NuGet packages and the Envoy
# protos from npm, several minutes) is never silent. Warnings and errors show too.
build() { # project description
  say "building $2 ($CONFIGURATION)..."
  dotnet build "$1" -c "$CONFIGURATION" -nologo -v minimal -clp:NoSummary 2>&1 | sed -u 's/^/  /'
  return "${PIPESTATUS[0]}"
}
publish_ready_to_run() { # project description
  say "building $2 ($CONFIGURATION, ReadyToRun for $XDS_RID${XDS_INSTRUCTION_SET:+, $XDS_INSTRUCTION_SET})..."
  dotnet publish "$1" -c "$CONFIGURATION" -r "$XDS_RID" --self-contained false -o "$XDS_PUBLISH_DIR" \
    -p:MeshReadyToRunInstructionSet="$XDS_INSTRUCTION_SET" -nologo -v minimal -clp:NoSummary 2>&1 | sed -u 's/^/  /'
  return "${PIPESTATUS[0]}"
}
publish_api_ready_to_run() { # project description
  say "building $2 ($CONFIGURATION, ReadyToRun for $API_RID)..."
  dotnet publish "$1" -c "$CONFIGURATION" -r "$API_RID" --self-contained false -o "$API_PUBLISH_DIR" \
    -nologo -v minimal -clp:NoSummary 2>&1 | sed -u 's/^/  /'
  return "${PIPESTATUS[0]}"
}
if [[ ${MESH_NO_BUILD:-0} != 1 ]]; then
  say "building; the first build restores packages and takes a few minutes"
  build migrations/Mesh.Migrations.csproj "the migrations (1/3)" || die "build of migrations failed"
  if [[ -n $API_RID ]]; then
    publish_api_ready_to_run src/Api/Mesh.Api.csproj "the API (2/3)"
  else
    build src/Api/Mesh.Api.csproj "the API (2/3)"
  fi || die "build of src/Api failed"
  if [[ -f src/XdsServer/Mesh.XdsServer.csproj ]]; then
    mkdir -p "$LOGS"
    if [[ -n $XDS_RID ]]; then
      publish_ready_to_run src/XdsServer/Mesh.XdsServer.csproj "the xDS server (3/3)"
    else
      build src/XdsServer/Mesh.XdsServer.csproj "the xDS server (3/3)"
    fi || { say "warning: build of src/XdsServer failed (output above)"; XDS_BUILD_FAILED=1; }
  fi
else
  # MESH_NO_BUILD after a plain `dotnet build` (as the tests do): run what was built.
  [[ -f $XDS_DLL ]] || XDS_DLL=$XDS_BUILD_DLL
  [[ -f $API_DLL ]] || API_DLL=$API_BUILD_DLL
fi
[[ -f $API_DLL ]] || die "$API_DLL is missing (build failed?)"
[[ -f $XDS_DLL && $XDS_BUILD_FAILED == 0 ]] && HAVE_XDS=1

# The hosts' ports are checked before PostgreSQL starts, so a clash leaves nothing half-started.
port_of() { local hostport=${1#*://}; hostport=${hostport%%/*}; echo "${hostport##*:}"; }
port_in_use "$(port_of "$API_URL")" && die "$API_URL is already in use (an earlier ./run.sh still running?)"
if [[ $HAVE_XDS == 1 ]]; then
  for port in "$(port_of "$XDS_GRPC_URL")" "$(port_of "$XDS_ADMIN_URL")"; do
    port_in_use "$port" && die "port $port (xDS server) is already in use (an earlier ./run.sh still running?)"
  done
fi

# --- PostgreSQL ----------------------------------------------------------------------------------
mkdir -p "$STATE" "$PGSOCK" "$LOGS"
# nobody must reach .mesh through the checkout; only the execute bit is needed on the path.
chmod o+x "$STATE"
touch "$LOGS/postgres.log"
if [[ $(id -u) -eq 0 ]]; then
  chown "$PG_USER" "$PGSOCK" "$LOGS/postgres.log"
  [[ -d $PGDATA ]] && chown -R "$PG_USER" "$PGDATA"
fi
as_pg test -x "$STATE" || die "user $PG_USER cannot reach $STATE (a parent directory is not searchable by others)"

NEW_CLUSTER=0
if [[ ! -f $PGDATA/PG_VERSION ]]; then
  NEW_CLUSTER=1
  say "creating a PostgreSQL cluster in $PGDATA"
  install -d -m 700 ${PG_USER:+-o "$PG_USER"} "$PGDATA"
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U "$DB_USER" -A trust -E UTF8 --no-instructions >"$LOGS/initdb.log" 2>&1 ||
    { cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
fi

STARTED_PG=0
if as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  # Left running by an earlier run that was killed: adopt it (and stop it when we stop).
  PG_PORT=$(sed -n '4p' "$PGDATA/postmaster.pid")
  say "PostgreSQL already running from $PGDATA on port $PG_PORT; using it"
else
  if port_in_use "$PG_PORT"; then
    die "port $PG_PORT on 127.0.0.1 is already in use (another PostgreSQL?). Stop it, or choose another port: MESH_PG_PORT=5433 ./run.sh"
  fi
  say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k '$PGSOCK' -c listen_addresses=127.0.0.1" start >/dev/null ||
    { tail -n 20 "$LOGS/postgres.log" >&2; die "PostgreSQL did not start (log: $LOGS/postgres.log)"; }
fi
STARTED_PG=1

PIDS=()
stop_all() {
  trap - INT TERM EXIT
  echo
  say "stopping..."
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $STARTED_PG == 1 ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  say "stopped"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

psql_admin() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [[ -z $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'") ]]; then
  say "creating database $DB_NAME"
  psql_admin -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
fi

export ConnectionStrings__Mesh="Host=127.0.0.1;Port=$PG_PORT;Database=$DB_NAME;Username=$DB_USER"

# --- migrations (the explicit step: the hosts never migrate on start) ---------------------------
dotnet "$MIGRATIONS_DLL" | sed 's/^/  /' || die "migrations failed"

# --- credentials ---------------------------------------------------------------------------------
# The master key encrypts access-key secrets at rest; it is made once and kept with the data.
MASTER_KEY_FILE=$STATE/master.key
if [[ ! -s $MASTER_KEY_FILE ]]; then
  (umask 077; head -c 32 /dev/urandom | base64 >"$MASTER_KEY_FILE")
fi
export Mesh__Auth__MasterKey
Mesh__Auth__MasterKey=$(cat "$MASTER_KEY_FILE")
# Every API call is SigV4-authenticated: on first start, make an admin key in the AWS CLI's format.
CREDENTIALS=$STATE/credentials
if [[ ! -s $CREDENTIALS || $NEW_CLUSTER == 1 ]]; then
  say "creating an admin access key (written to $CREDENTIALS, profile default)"
  rm -f "$CREDENTIALS"
  dotnet "$API_DLL" keys create --account "${Mesh__AccountId:-111122223333}" --admin \
    --description "created by run.sh" --credentials-file "$CREDENTIALS" | sed 's/^/  /' ||
    die "could not create the admin key"
fi

# --- hosts ---------------------------------------------------------------------------------------
# GET /envoy/bootstrap and `Mesh.Api bootstrap` write this as the xDS address: the server started below. A
# wildcard listen address is not one a proxy can dial, so it becomes this machine's loopback.
xds_host_port() {
  local hostport=${1#*://}; hostport=${hostport%%/*}
  local host=${hostport%:*}
  case $host in 0.0.0.0 | '*' | + | localhost) host=127.0.0.1 ;; '[::]') host='[::1]' ;; esac
  echo "$host:${hostport##*:}"
}
BOOTSTRAP_XDS=$(xds_host_port "$XDS_GRPC_URL")

# Both hosts start in this folder, their content root, and by default watch it (and every folder under it, .mesh/pg
# included) for appsettings files to reload. Mesh reads its settings once at start, so the watch is pure cost: every
# file PostgreSQL writes woke it (0.6-1.3% of a Describe's samples, docs/benchmarks.md, issue14am).
export DOTNET_hostBuilder__reloadConfigOnChange=false
say "starting the API on $API_URL"
# The console's service map reads the xDS server's proxy status from its admin port, through the API host.
dotnet "$API_DLL" --urls "$API_URL" --Mesh:Bootstrap:Xds="$BOOTSTRAP_XDS" \
  --Mesh:Console:ProxyStatusUrls:0="$XDS_ADMIN_URL" >"$LOGS/api.log" 2>&1 &
API_PID=$!
PIDS+=("$API_PID")

XDS_PID=
if [[ $HAVE_XDS == 1 ]]; then
  say "starting the xDS server (gRPC $XDS_GRPC_URL, admin $XDS_ADMIN_URL)"
  dotnet "$XDS_DLL" --Xds:GrpcUrl="$XDS_GRPC_URL" --Xds:AdminUrl="$XDS_ADMIN_URL" --Xds:Auth:Mode=None >"$LOGS/xds.log" 2>&1 &
  XDS_PID=$!
  PIDS+=("$XDS_PID")
else
  say "warning: no working build of src/XdsServer; the xDS server is not started"
fi

wait_healthy() { # name pid url log
  for _ in $(seq 1 120); do
    healthy "$3" && return 0
    kill -0 "$2" 2>/dev/null || { tail -n 30 "$4" >&2; die "$1 exited during start (log: $4)"; }
    sleep 0.5
  done
  tail -n 30 "$4" >&2
  die "$1 did not answer $3 within 60 s (log: $4)"
}
wait_healthy "the API" "$API_PID" "$API_URL/healthz" "$LOGS/api.log"
# Readiness, not liveness: /readyz answers 200 only after the first full load from PostgreSQL.
[[ -n $XDS_PID ]] && wait_healthy "the xDS server" "$XDS_PID" "$XDS_ADMIN_URL/readyz" "$LOGS/xds.log"

cat <<EOF

  Mesh is running.
    API          $API_URL            (GET /healthz, /readyz, /metrics)
    API docs     $API_URL/docs       (OpenAPI: $API_URL/openapi/v1.json)
    Console      $API_URL/console    (sign in with the admin key in $CREDENTIALS)
EOF
[[ -n $XDS_PID ]] && cat <<EOF
    xDS (gRPC)   $XDS_GRPC_URL      (h2c: ADS, CSDS)
    xDS admin    $XDS_ADMIN_URL      (GET /healthz, /readyz, /metrics, /proxy-status)
    Bootstraps   $API_URL/envoy/bootstrap?node=mesh/<mesh>/virtualNode/<name>   (xDS address $BOOTSTRAP_XDS)
EOF
cat <<EOF
    PostgreSQL   127.0.0.1:$PG_PORT, database $DB_NAME, user $DB_USER (data: $PGDATA)
    Logs         $LOGS/

  Use the AWS CLI with the admin key run.sh made:
    export AWS_SHARED_CREDENTIALS_FILE=$CREDENTIALS
    export AWS_DEFAULT_REGION=us-east-1
    aws appmesh create-mesh --mesh-name demo --endpoint-url $API_URL

  Ctrl-C stops everything.

EOF

# Stay up until Ctrl-C, or until a host dies (then stop the rest rather than limp on).
set +e
wait -n "${PIDS[@]}"
status=$?
say "a host exited (status $status); see $LOGS/"
exit 1
