#!/usr/bin/env python3
# perf_categories.py <perf script output> [category depth]: PostgreSQL's samples by what spends them. Each sample goes to the innermost frame
# that names a category (a partition: the shares sum to 100%), and, separately, the share of samples with the category
# anywhere on their stack (inclusive). Static functions have no symbol in Debian's binary: their frames are skipped
# (the innermost named frame above them decides), plpgsql.so's and pg_stat_statements.so's own code by their library.
import re, sys, collections
def cat(sym, dso):
    s = sym
    if 'pg_stat_statements' in dso: return 'pg_stat_statements (measurement)'
    if s in ('XLogFlush', 'XLogWrite', 'XLogBackgroundFlush') or s.startswith('issue_xlog_fsync'): return 'commit: WAL flush'
    if s.startswith('XLog') or s.startswith('XLogRegister'): return 'WAL insert (XLogInsert)'
    if s.startswith('Lock') and s not in ('LockBuffer', 'LockBufHdr') or 'advisory' in s or s.startswith('pg_try_advisory') or s in ('LockReleaseAll', 'VirtualXactLockTableInsert'): return 'locks (heavyweight, advisory)'
    if s in ('GetSnapshotData', 'GetTransactionSnapshot', 'GetLatestSnapshot', 'GetNonHistoricCatalogSnapshot'): return 'snapshots'
    if s in ('ExecInsertIndexTuples', 'index_insert', 'btinsert', 'brininsert', 'gininsert') or s.startswith('_bt_') or s.startswith('gin') or s.startswith('brin') or s.startswith('_bt'): return 'index insertion and probes'
    if s in ('heap_insert', 'heap_update', 'heap_delete', 'RelationGetBufferForTuple', 'heap_page_prune_opt', 'heap_page_prune', 'heap_hot_search_buffer', 'heapam_index_fetch_tuple', 'heap_getnextslot'): return 'heap'
    if 'jsonb' in s.lower() or 'json' in s.lower() and s != 'jsonb_typeof': return 'jsonb'
    if s in ('set_config_option', 'set_config_option_ext', 'ProcessGUCArray', 'AtEOXact_GUC', 'NewGUCNestLevel', 'set_config_by_name', 'GetConfigOptionByName', 'current_setting', 'show_config_by_name_missing_ok', 'parse_and_validate_value', 'find_option') or s.startswith('guc_'): return 'GUC (SET plan_cache_mode, set_config, current_setting)'
    if s in ('raw_parser', 'parse_analyze_varparams', 'CreateCachedPlan', 'CompleteCachedPlan', 'pg_parse_query') : return 'top-level statement: parse (Parse message)'
    if s in ('pg_plan_query', 'planner', 'standard_planner', 'GetCachedPlan', 'pg_analyze_and_rewrite_fixedparams', 'pg_parse_query', 'raw_parser', 'CompleteCachedPlan', 'CreateCachedPlan', 'SPI_plan_get_cached_plan') or s.startswith('parse_analyze'): return 'planning and plan cache (GetCachedPlan)'
    if s in ('CommitTransactionCommand', 'StartTransactionCommand', 'AbortCurrentTransaction', 'AtEOXact_Buffers', 'ProcArrayEndTransaction', 'TransactionIdCommitTree', 'AtEOXact_RelationCache', 'AtEOXact_SPI') or s.startswith('AtEOXact') or s.startswith('AtEOXact_') or s.startswith('ResourceOwner'): return 'transaction start/commit (other)'
    if s in ('ExecutorStart', 'standard_ExecutorStart', 'ExecInitNode', 'ExecInitModifyTable', 'ExecOpenIndices', 'ExecutorEnd', 'standard_ExecutorEnd', 'ExecEndNode', 'ExecCloseIndices', 'CreateExecutorState', 'FreeExecutorState', 'ExecutorFinish', 'standard_ExecutorFinish', 'ExecInitExpr', 'ExecBuildProjectionInfo', 'ExecInitRangeTable', 'ExecGetRangeTableRelation', 'ExecInitResultRelation'): return 'executor start/end'
    if s in ('ExecMakeTableFunctionResult', 'tuplestore_begin_heap', 'tuplestore_puttuple', 'tuplestore_gettupleslot'): return 'set-returning call (tuplestore)'
    if s in ('nextval_internal', 'nextval'): return 'sequences (identity)'
    if s.startswith('AfterTrigger') or s.startswith('ExecAR') or s.startswith('ExecBR'): return 'triggers'
    if s.startswith('ReadBuffer') or s in ('ReleaseBuffer', 'UnlockReleaseBuffer', 'LockBuffer', 'MarkBufferDirty') or s.startswith('LWLock'): return 'buffers and LWLocks'
    if s.startswith('Exec') or s.startswith('standard_Executor') or s.startswith('Executor'): return 'executor run (other)'
    if s.startswith('SPI_') or s.startswith('_SPI'): return 'SPI (other)'
    if 'plpgsql.so' in dso: return 'PL/pgSQL interpreter (own code)'
    if s in ('PortalRun', 'PortalStart', 'PortalDrop', 'CreatePortal', 'PortalRunMulti', 'PortalRunSelect'): return 'portal (top-level statement, other)'
    if s == 'PostgresMain' or s.startswith('pq_') or s.startswith('secure_') or s.startswith('socket_') or s.startswith('WaitEventSet') or s in ('ReadyForQuery', 'EndCommand', 'printtup', 'BeginCommand', 'SendRowDescriptionMessage'): return 'protocol (bind, parse, messages, socket)'
    return None
INCL = {
    'PL/pgSQL (plpgsql_call_handler)': lambda s, d: s == 'plpgsql_call_handler',
    'executor (ExecutorStart/Run/End/Finish)': lambda s, d: s in ('ExecutorStart', 'ExecutorRun', 'ExecutorEnd', 'ExecutorFinish'),
    'SPI statements (SPI_execute_plan_*)': lambda s, d: s.startswith('SPI_execute'),
    'planning/plan cache (GetCachedPlan, pg_plan_query)': lambda s, d: s in ('GetCachedPlan', 'pg_plan_query'),
    'jsonb': lambda s, d: 'json' in s.lower(),
    'index insertion (ExecInsertIndexTuples)': lambda s, d: s == 'ExecInsertIndexTuples',
    'WAL insert (XLogInsert)': lambda s, d: s == 'XLogInsert',
    'heavyweight/advisory locks': lambda s, d: s in ('LockAcquireExtended', 'LockRelease', 'LockReleaseAll'),
    'commit (CommitTransactionCommand)': lambda s, d: s == 'CommitTransactionCommand',
    'commit WAL flush (XLogFlush)': lambda s, d: s == 'XLogFlush',
    'GUC (fmgr_security_definer\'s SET, set_config)': lambda s, d: s in ('ProcessGUCArray', 'AtEOXact_GUC', 'set_config_by_name', 'NewGUCNestLevel'),
    'snapshots (GetSnapshotData)': lambda s, d: s == 'GetSnapshotData',
    'pg_stat_statements': lambda s, d: 'pg_stat_statements' in d,
    'portal run (PortalRun)': lambda s, d: s == 'PortalRun',
    'triggers (AfterTrigger*)': lambda s, d: s.startswith('AfterTrigger'),
    'sequences (nextval_internal)': lambda s, d: s == 'nextval_internal',
}
frame = re.compile(r'^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)$')
samples = []; cur = None
for line in open(sys.argv[1], errors='replace'):
    if not line.strip():
        if cur is not None: samples.append(cur); cur = None
        continue
    if not line[0].isspace():
        cur = dict(h=line, f=[]); continue
    m = frame.match(line)
    if m and cur is not None:
        sym = re.sub(r'\+0x[0-9a-f]+$', '', m.group(2)); cur['f'].append((sym, m.group(3)))
if cur is not None: samples.append(cur)
import os
if os.environ.get('ROLE') == 'backend': samples = [s for s in samples if any(x[0] == 'PostgresMain' for x in s['f'])]
total = len(samples); part = collections.Counter(); incl = collections.Counter(); leaf = collections.Counter(); procs = collections.Counter()
for s in samples:
    c = None
    for sym, dso in s['f']:
        c = cat(sym, dso)
        if c: break
    if not s['f']: c = None
    if c == 'planning and plan cache (GetCachedPlan)':
        c = 'nested statements: plan cache (GetCachedPlan)' if any(x[0].startswith('SPI_') for x in s['f']) else 'top-level statement: plan (Bind, GetCachedPlan)'
    if c is None:
        c = 'kernel/other' if s['f'] and 'kernel' in s['f'][0][1] else 'unattributed (no named frame)'
    part[c] += 1
    hs = set()
    for sym, dso in s['f']:
        for k, f in INCL.items():
            if f(sym, dso): hs.add(k)
    for k in hs: incl[k] += 1
    if s['f']: leaf[f"{s['f'][0][0]} ({s['f'][0][1].split('/')[-1]})"] += 1
    procs[' '.join(s['h'].split()[:1])] += 1
print(f"samples: {total}; processes: {dict(procs.most_common(6))}")
print("\n| innermost category | samples | share |\n|---|---|---|")
for k, v in part.most_common(): print(f"| {k} | {v} | {v/total:.1%} |")
print("\n| on the stack (inclusive) | samples | share |\n|---|---|---|")
for k, v in incl.most_common(): print(f"| {k} | {v} | {v/total:.1%} |")
print("\n| leaf symbol | samples | share |\n|---|---|---|")
for k, v in leaf.most_common(25): print(f"| {k} | {v} | {v/total:.1%} |")
if len(sys.argv) > 2:
    want = sys.argv[2]; c2 = collections.Counter()
    for s in samples:
        for i, (sym, dso) in enumerate(s['f']):
            cc = cat(sym, dso)
            if cc:
                if cc == want: c2[' < '.join(x[0] for x in s['f'][i:i+int(sys.argv[3]) if len(sys.argv)>3 else i+3])] += 1
                break
    print(f"\n{want}:"); [print(f"  {v:4d} {k}") for k, v in c2.most_common(25)]
roles = collections.Counter()
for s in samples:
    names = {x[0] for x in s['f']}
    r = 'client backend (PostgresMain)' if 'PostgresMain' in names else 'autovacuum worker' if 'StartAutoVacWorker' in names or 'AutoVacWorkerMain' in names else 'autovacuum launcher' if 'StartAutoVacLauncher' in names else 'walwriter' if 'WalWriterMain' in names else 'checkpointer' if 'CheckpointerMain' in names else 'bgwriter' if 'BackgroundWriterMain' in names else 'other/unknown'
    roles[r] += 1
print("\n| process | samples | share |\n|---|---|---|")
for k, v in roles.most_common(): print(f"| {k} | {v} | {v/total:.1%} |")
