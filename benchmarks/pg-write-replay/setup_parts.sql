-- Mesh bench-parts with 20,000 virtual nodes (e1 … e20000), the victims of parts.py's "delete" (DELETE_FROM=0, 2000, …).
INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
VALUES ('111122223333', 'bench-parts', 'mesh', '', 'bench-parts', 'arn:aws:appmesh:us-east-1:111122223333:mesh/bench-parts', gen_random_uuid(), 1, '{}', '[]', '{}', '111122223333', now(), now())
ON CONFLICT DO NOTHING;
INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
SELECT '111122223333', 'bench-parts', 'virtualNode', '', 'e' || i, 'arn:aws:appmesh:us-east-1:111122223333:mesh/bench-parts/virtualNode/e' || i, gen_random_uuid(), 1,
 '{"listeners":[{"healthCheck":{"healthyThreshold":2,"intervalMillis":5000,"path":"/health","protocol":"http","timeoutMillis":2000,"unhealthyThreshold":3},"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"n27.local"}}}',
 '[]', '{}', '111122223333', now(), now() FROM generate_series(1, 20000) i ON CONFLICT DO NOTHING;
