-- Variant E3 of rows/ (docs/benchmarks.md, issue14bm): a copy of mesh_create_resource as of migration DescribedWriteRefusals, changed as that section says. For measurement only, not a migration.
CREATE OR REPLACE FUNCTION public.mesh_create_resource_e3(p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_arn text, p_uid uuid, p_spec jsonb, p_tags jsonb, p_refs text[], p_owner text, p_at timestamp with time zone, p_need_kinds text[], p_need_parents text[], p_need_names text[], p_check_route_port boolean, p_match_port integer, p_token text, p_operation text, p_hash text, p_token_cutoff timestamp with time zone, p_scope_mesh text, p_shard smallint, p_shards integer, p_quota bigint, p_exact boolean, p_claimed boolean)
 RETURNS TABLE(o_replayed text, o_uid uuid, o_at timestamp with time zone)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE
    held record;
    missing integer;
    total bigint;
    quiet text;
    claimed boolean;
    scope_key bigint;
    taken integer;
BEGIN
    -- One statement claims a fresh token and, only then (the locks' subquery reads the claim), takes the needs' locks.
    claimed := p_claimed;
    IF NOT claimed THEN
        held := mesh_claim_token(p_account, p_token, p_operation, p_hash, p_at, p_token_cutoff, p_uid, 1, NULL);
        IF held.o_at IS NOT NULL THEN
            o_replayed := held.o_response;
            o_uid := held.o_uid;
            o_at := held.o_at;
            RETURN NEXT;
            RETURN;
        END IF;
        PERFORM pg_advisory_xact_lock_shared(1296388936, hashtext(p_account || '/' || p_mesh || '/' || k || '/' || p || '/' || n))
        FROM unnest(p_need_kinds, p_need_parents, p_need_names) AS t(k, p, n);
    END IF;
    IF p_check_route_port THEN
        missing := mesh_first_missing(p_account, p_mesh, p_need_kinds, p_need_parents, p_need_names);
        IF missing > 0 THEN
            RAISE EXCEPTION 'mesh write refused (answered NotFoundException by the API), needed resource missing at position (0 = the resource itself): %', missing USING ERRCODE = 'MR001';
        END IF;
        PERFORM mesh_check_route_port(p_account, p_mesh, p_parent, p_match_port);
    END IF;
    quiet := set_config('mesh.notify_after_commit', 'on', true);
    WITH need AS MATERIALIZED (
        SELECT coalesce(min(w.ord), 0)::integer AS missing
        FROM unnest(p_need_kinds, p_need_parents, p_need_names) WITH ORDINALITY AS w(k, p, n, ord)
        LEFT JOIN LATERAL (
            SELECT 1 AS present FROM resources AS r
            WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = w.k AND r.parent_name = w.p AND r.name = w.n
            LIMIT 1) AS found ON true
        WHERE found.present IS NULL),
    created AS (
        INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
        SELECT p_account, p_mesh, p_kind, p_parent, p_name, p_arn, p_uid, 1, p_spec, p_tags, p_refs, p_owner, p_at, p_at
        FROM need WHERE need.missing = 0
        RETURNING 1),
    logged AS (
        INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
        SELECT p_account, p_mesh, p_kind, p_parent, p_name, 1, 'create', p_at FROM created)
    SELECT need.missing INTO missing FROM need;
    IF missing > 0 THEN
        RAISE EXCEPTION 'mesh write refused (answered NotFoundException by the API), needed resource missing at position (0 = the resource itself): %', missing USING ERRCODE = 'MR001';
    END IF;
    IF p_exact THEN
        total := mesh_count_created(p_account, p_scope_mesh, p_kind, p_parent, p_shard, p_shards, p_quota, p_exact);
        RETURN NEXT;
        RETURN;
    END IF;
    -- mesh_count_created's sharded path inline: the shard's lock, then (a later statement) its UPDATE.
    scope_key := hashtext(p_account || '/' || p_scope_mesh || '/' || p_kind || '/' || p_parent)::bigint * 256;
    taken := NULL;
    FOR step IN 0 .. p_shards - 1 LOOP
        IF pg_try_advisory_xact_lock(scope_key + (p_shard + step) % p_shards) THEN
            taken := (p_shard + step) % p_shards;
            EXIT;
        END IF;
    END LOOP;
    IF taken IS NULL THEN
        PERFORM pg_advisory_xact_lock(scope_key + p_shard);
        taken := p_shard;
    END IF;
    UPDATE resource_counts SET count = count + 1
    WHERE account_id = p_account AND mesh_name = p_scope_mesh AND kind = p_kind AND parent_name = p_parent AND shard = taken
    RETURNING (SELECT sum(c.count) FROM resource_counts AS c
               WHERE c.account_id = p_account AND c.mesh_name = p_scope_mesh AND c.kind = p_kind AND c.parent_name = p_parent) + 1
    INTO total;
    IF NOT FOUND THEN
        INSERT INTO resource_counts AS c (account_id, mesh_name, kind, parent_name, shard, count)
        VALUES (p_account, p_scope_mesh, p_kind, p_parent, taken, 1)
        ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = c.count + 1;
        SELECT coalesce(sum(count), 0) INTO total FROM resource_counts
        WHERE account_id = p_account AND mesh_name = p_scope_mesh AND kind = p_kind AND parent_name = p_parent;
    END IF;
    IF total + p_shards - 1 > p_quota THEN
        RAISE EXCEPTION 'within % of the quota of %: count exactly', p_shards, p_quota USING ERRCODE = 'MQ001';
    END IF;
    RETURN NEXT;
END;
$function$;
