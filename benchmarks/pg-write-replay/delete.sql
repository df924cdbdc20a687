\set shard random(0, 31)
BEGIN;
SELECT substr(name, 2) AS victim FROM resources WHERE account_id = '111122223333' AND mesh_name = 'bench-del' AND kind = 'virtualNode' AND parent_name = '' LIMIT 1 FOR UPDATE SKIP LOCKED \gset
WITH audit AS (INSERT INTO audit_log (at, account_id, access_key_id, action, resource_arn, request_id, status_code, error_code, message, source_address) VALUES (now(), '111122223333', 'MKIAFQC7K2PCEOXOEVJ5', E'appmesh\x3aDeleteVirtualNode', E'arn\x3aaws\x3aappmesh\x3aus-east-1\x3a111122223333\x3amesh/bench-del/virtualNode/d' || :victim::text, gen_random_uuid()::text, 200, '', '', '127.0.0.1'))
SELECT * FROM mesh_delete_resource('111122223333', 'bench-del', 'virtualNode', '', 'd' || :victim::text, now(), '{mesh}'::text[], '{""}'::text[], '{bench-del}'::text[], NULL::text, '111122223333/bench-del/virtualNode/d' || :victim::text, 11, 'bench-del', :shard::smallint);
COMMIT;
