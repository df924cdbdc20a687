-- Scratch clusters only (rows/matrix.sh): empties the tables a create writes and puts back the meshes create_one.sql and create_spread.sql write to.
TRUNCATE resources, changes, audit_log, idempotency_records, resource_counts;
INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
SELECT '111122223333', m, 'mesh', '', m, 'arn:aws:appmesh:us-east-1:111122223333:mesh/' || m, gen_random_uuid(), 1, '{}', '[]', '{}', '111122223333', now(), now()
FROM (SELECT 'bench-one' UNION ALL SELECT 'bench-m' || i FROM generate_series(0, 31) i) AS t(m);
