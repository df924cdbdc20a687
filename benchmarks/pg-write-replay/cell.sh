#!/bin/bash
# One pgbench cell, with PostgreSQL's CPU ticks, WAL and commits per transaction around it (PGDATA, PGPORT: the stack's).
# cell.sh <label> <script> <clients> <seconds> [db]   (PGBENCH_MODE=prepared: each statement prepared once per connection, as the API's Max Auto Prepare does)
label=$1; script=$2; clients=$3; secs=$4; db=${5:-mesh}
HERE=$(dirname "$(readlink -f "$0")"); W=${REPLAY_WORK:-/tmp/pg-write-replay}; mkdir -p "$W"
PORT=${PGPORT:-5432}; P="psql -h 127.0.0.1 -p $PORT -U postgres -d mesh -Atc"
load=$(cut -d' ' -f1 /proc/loadavg)
$P "select pg_stat_statements_reset()" >/dev/null
lsn0=$($P "select pg_current_wal_lsn()")
$HERE/pgsnap.py snap > $W/a.json
out=$(/usr/lib/postgresql/15/bin/pgbench -n -M ${PGBENCH_MODE:-simple} -h 127.0.0.1 -p $PORT -U postgres -c $clients -j $((clients<2?clients:2)) -T $secs -f $script $db 2>&1)
$HERE/pgsnap.py snap > $W/b.json
lsn1=$($P "select pg_current_wal_lsn()")
n=$(echo "$out" | grep -oP 'number of transactions actually processed: \K[0-9]+')
tps=$(echo "$out" | grep -oP 'tps = \K[0-9.]+(?= \(without)')
fail=$(echo "$out" | grep -c 'aborted\|ERROR')
echo "== $label clients=$clients load=$load tps=$tps errors=$fail $($HERE/pgsnap.py diff $W/a.json $W/b.json $n)"
echo "$lsn0 $lsn1 $n" > $W/last.lsn
