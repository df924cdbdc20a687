#!/usr/bin/env python3
# parts.py <n> : one backend runs each part n times (each iteration its own transaction) and reports CPU ms per iteration
import os, subprocess, sys, uuid
HERE = os.path.dirname(os.path.abspath(__file__))
PORT = os.environ.get('PGPORT', '5432')
n = int(sys.argv[1]); only = sys.argv[2:] 
SPEC = '{"listeners":[{"healthCheck":{"healthyThreshold":2,"intervalMillis":5000,"path":"/health","protocol":"http","timeoutMillis":2000,"unhealthyThreshold":3},"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"n27.local"}}}'
ANS = open(os.path.join(HERE, 'answer.txt')).read().strip()
tag = uuid.uuid4().hex[:8]
audit = "INSERT INTO audit_log (at, account_id, access_key_id, action, resource_arn, request_id, status_code, error_code, message, source_address) VALUES (now(), '111122223333', 'MKIAFQC7K2PCEOXOEVJ5', 'appmesh:CreateVirtualNode', 'arn:aws:appmesh:us-east-1:111122223333:mesh/bench-one/virtualNode/p' || i, gen_random_uuid()::text, 200, '', '', '127.0.0.1')"
create = f"PERFORM mesh_create_resource('111122223333', 'bench-one', 'virtualNode', '', '{tag}-' || i, 'arn:aws:appmesh:us-east-1:111122223333:mesh/bench-one/virtualNode/{tag}-' || i, gen_random_uuid(), '{SPEC}'::jsonb, '[]'::jsonb, '{{}}'::text[], '111122223333', now(), '{{mesh}}'::text[], '{{\"\"}}'::text[], '{{bench-one}}'::text[], false, NULL::integer, gen_random_uuid()::text, 'CreateVirtualNode', 'ce4c07e175b522b206c178939bbe54f319bf29a78237b3be5ea1f7eb9bde04f5', now() - interval '1 day', '{ANS}'::text, 'bench-one', (i % 32)::smallint, 32, 1000000::bigint, false)"
parts = {
 'empty': "PERFORM 1",
 'audit': audit,
 'claim': f"PERFORM mesh_claim_token('111122223333', gen_random_uuid()::text, 'CreateVirtualNode', 'ce4c', now(), now() - interval '1 day', '{ANS}'::text)",
 'lock_needed': "PERFORM mesh_lock_needed('111122223333', 'bench-one', '{mesh}'::text[], '{\"\"}'::text[], '{bench-one}'::text[])",
 'resource_insert': f"INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at) VALUES ('111122223333', 'bench-x', 'virtualNode', '', '{tag}-' || i, 'arn:aws:appmesh:us-east-1:111122223333:mesh/bench-x/virtualNode/{tag}-' || i, gen_random_uuid(), 1, '{SPEC}'::jsonb, '[]', '{{}}', '111122223333', now(), now())",
 'change_insert': "INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at) VALUES ('111122223333', 'bench-x', 'virtualNode', '', 'x' || i, 1, 'create', now())",
 'count': "PERFORM mesh_count_created('111122223333', 'bench-one', 'virtualNode', '', (i % 32)::smallint, 32, 1000000::bigint, false)",
 'create': create,
 'update': open(os.path.join(HERE, 'update_call.txt')).read().strip(),
 # victims e<DELETE_FROM + i> of mesh bench-parts (setup_parts.sql, 20,000 nodes): give each run a range of its own
 'delete': f"PERFORM mesh_delete_resource('111122223333', 'bench-parts', 'virtualNode', '', 'e' || ({int(os.environ.get('DELETE_FROM', '0'))} + i), now(), '{{mesh}}'::text[], '{{\"\"}}'::text[], '{{bench-parts}}'::text[], NULL::text, '111122223333/bench-parts/virtualNode/e' || ({int(os.environ.get('DELETE_FROM', '0'))} + i), 11, 'bench-parts', (i % 32)::smallint)",
 'audit+create': audit + ';\n  ' + create,
 'key': "PERFORM mesh_quota_shard_key('111122223333', 'bench-one', 'virtualNode', '')",
 'take': "PERFORM mesh_quota_take_shard(12345::bigint * 256, (i % 32)::smallint, 32)",
 'adv': "PERFORM pg_advisory_xact_lock_shared(1296388936, hashtext('111122223333/bench-one/mesh//bench-one'))",
 'first_missing': "PERFORM mesh_first_missing('111122223333', 'bench-one', '{mesh}'::text[], '{\"\"}'::text[], '{bench-one}'::text[])",
 'change_insert_quiet': "PERFORM set_config('mesh.notify_after_commit', 'on', true); INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at) VALUES ('111122223333', 'bench-x', 'virtualNode', '', 'x' || i, 1, 'create', now())",
 'xid_commit': "PERFORM pg_current_xact_id()",
 'count_update': "UPDATE resource_counts SET count = count + 1 WHERE account_id = '111122223333' AND mesh_name = 'bench-one' AND kind = 'virtualNode' AND parent_name = '' AND shard = (i % 32)",

 'create+audit': audit + ";\n" + create,
}
for name, body in parts.items():
    if only and name not in only: continue
    fn = """CREATE OR REPLACE FUNCTION pg_temp.ticks() RETURNS bigint LANGUAGE sql AS $$
  SELECT (f[12])::bigint + (f[13])::bigint FROM (SELECT regexp_split_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS f) s $$"""
    sql = f"""DO $body$ DECLARE t0 bigint; t1 bigint; w0 pg_lsn; w1 pg_lsn; BEGIN
 t0 := pg_temp.ticks(); w0 := pg_current_wal_insert_lsn();
 FOR i IN 1..{n} LOOP
  {body};
  COMMIT;
 END LOOP;
 t1 := pg_temp.ticks(); w1 := pg_current_wal_insert_lsn();
 RAISE NOTICE 'RESULT % cpu_ms/iter=% wal_B/iter=%', '{name}', round((t1-t0)*10.0/{n}, 4), round((w1-w0)/{n});
END $body$;"""
    r = subprocess.run(['psql','-h','127.0.0.1','-p',PORT,'-U','postgres','-d','mesh','-c',fn,'-c',sql],capture_output=True,text=True)
    line = [l for l in r.stderr.splitlines() if 'RESULT' in l]
    print(line[0].split('RESULT ')[1] if line else r.stderr[-500:], flush=True)
