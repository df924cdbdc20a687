#!/bin/bash
# ANALYZE resources' CPU (the backend's own ticks, /proc/self/stat) with spec's and tags' statistics (target -1: main)
# and without (0: this branch), alternated, on 40,000 rows shaped as the load client's virtual nodes (about its 375 B
# spec). analyze_resources.sh <pg port>: a database "an" copied from "mesh" of a stack's cluster (its API stopped:
# CREATE DATABASE … TEMPLATE needs no other session on "mesh"), dropped at the end. docs/benchmarks.md, issue14av.
P="/usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p ${1:?pg port} -U postgres"
$P -d postgres -qc "DROP DATABASE IF EXISTS an" -c "CREATE DATABASE an TEMPLATE mesh"
$P -d an -qc "DELETE FROM resources" -c "INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
 SELECT '111122223333', 'load-' || (i % 33), 'virtualNode', '', 'n' || i, 'arn:aws:appmesh:us-east-1:111122223333:mesh/load-' || (i % 33) || '/virtualNode/n' || i, gen_random_uuid(), 1,
  jsonb_build_object('backends', '[]'::jsonb, 'listeners', jsonb_build_array(jsonb_build_object('portMapping', jsonb_build_object('port', 8000 + i % 1000, 'protocol', 'http'),
   'healthCheck', jsonb_build_object('protocol', 'http', 'path', '/health', 'healthyThreshold', 2, 'unhealthyThreshold', 3, 'timeoutMillis', 2000, 'intervalMillis', 5000))),
   'serviceDiscovery', jsonb_build_object('dns', jsonb_build_object('hostname', 'n' || i || '.load.local'))), '[]', '{}', '111122223333', now(), now()
 FROM generate_series(1, 40000) AS i" -c "VACUUM resources"
T="(split_part(pg_read_file('/proc/self/stat'), ' ', 14)::int + split_part(pg_read_file('/proc/self/stat'), ' ', 15)::int)"
for round in 1 2 3 4; do
  for t in -1 0; do
    r=$($P -d an -Atq -c "ALTER TABLE resources ALTER COLUMN spec SET STATISTICS $t, ALTER COLUMN tags SET STATISTICS $t" -c "SELECT $T" -c "ANALYZE resources" -c "SELECT $T" | tr '\n' ' ')
    set -- $r; echo "round $round target $t: $(( ($2 - $1) * 10 )) ms CPU, load $(cut -d' ' -f1 /proc/loadavg)"
  done
done
$P -d postgres -qc "DROP DATABASE an"
