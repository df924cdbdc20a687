INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
SELECT '111122223333', m, 'mesh', '', m, 'arn:aws:appmesh:us-east-1:111122223333:mesh/' || m, gen_random_uuid(), 1, '{}', '[]', '{}', '111122223333', now(), now()
FROM (SELECT 'bench-one' UNION ALL SELECT 'bench-upd' UNION ALL SELECT 'bench-del' UNION ALL SELECT 'bench-m' || i FROM generate_series(0, 31) i) AS t(m)
ON CONFLICT DO NOTHING;
INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
SELECT '111122223333', 'bench-upd', 'virtualNode', '', 'u' || i, 'arn:aws:appmesh:us-east-1:111122223333:mesh/bench-upd/virtualNode/u' || i, gen_random_uuid(), 1,
 '{"listeners":[{"healthCheck":{"healthyThreshold":2,"intervalMillis":5000,"path":"/health","protocol":"http","timeoutMillis":2000,"unhealthyThreshold":3},"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"n27.local"}}}',
 '[]', '{}', '111122223333', now(), now() FROM generate_series(1, 20000) i ON CONFLICT DO NOTHING;
INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
SELECT '111122223333', 'bench-del', 'virtualNode', '', 'd' || i, 'arn:aws:appmesh:us-east-1:111122223333:mesh/bench-del/virtualNode/d' || i, gen_random_uuid(), 1,
 '{"listeners":[{"healthCheck":{"healthyThreshold":2,"intervalMillis":5000,"path":"/health","protocol":"http","timeoutMillis":2000,"unhealthyThreshold":3},"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"n27.local"}}}',
 '[]', '{}', '111122223333', now(), now() FROM generate_series(1, 150000) i ON CONFLICT DO NOTHING;
VACUUM ANALYZE resources;
