#!/bin/bash
# What each row and each statement of a create costs PostgreSQL (docs/benchmarks.md, issue14bm): the variants in this
# folder beside create_one.sql (A), in rounds, each round from an emptied resources table (reset_scratch.sql), each cell
# through ../cell.sh with every statement prepared once per connection (PGBENCH_MODE=prepared, as the API's Max Auto
# Prepare does). reset_scratch.sql TRUNCATEs resources, changes, audit_log, idempotency_records and resource_counts:
# run this only against a scratch cluster of its own (ROWS_SCRATCH=1), never a stack's.
# PGDATA=<scratch pg> PGPORT=<port> ROWS_SCRATCH=1 ./matrix.sh [rounds] [seconds]     (VARIANTS="A B C D F E E2 E3 E0")
set -e
[[ ${ROWS_SCRATCH:-} == 1 ]] || { echo "matrix.sh empties the resource tables: set ROWS_SCRATCH=1 on a scratch cluster" >&2; exit 2; }
HERE=$(dirname "$(readlink -f "$0")"); cd "$HERE"
P="psql -q -h 127.0.0.1 -p ${PGPORT:?} -U postgres -d mesh -v ON_ERROR_STOP=1"
for f in function_nolog.sql function_e.sql function_e2.sql function_e3.sql; do $P -f $f; done
export PGBENCH_MODE=prepared
for round in $(seq 1 ${1:-3}); do
  $P -f reset_scratch.sql
  for clients in 8 32; do
    for v in ${VARIANTS:-A B C D F E E2 E3 E0}; do
      script=$v.sql; [[ $v == A ]] && script=../create_one.sql
      ../cell.sh $v $script $clients ${2:-8}
    done
  done
done
