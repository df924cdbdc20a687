#!/usr/bin/env python3
# write_windows.py <state dir> <ApiLoad stdout file> <out dir> [perf]: beside `Mesh.ApiLoad --clients 8 --only Create,Update,Delete`,
# once the measured cells at 8 clients have started, for the first create, update and delete cell: pg_stat_statements
# and pg_stat_user_functions before and after an 8 s window, and (with "perf") perf record of every process of the
# cluster over that window. Writes <out>/<op>.json (the snapshots, the op's calls) and <out>/<op>.data.
import json, os, subprocess, sys, time
state, stdout, out = sys.argv[1], sys.argv[2], sys.argv[3]; use_perf = 'perf' in sys.argv[4:]
os.makedirs(out, exist_ok=True)
PSQL = ['/usr/lib/postgresql/15/bin/psql', '-h', '127.0.0.1', '-p', '57790', '-U', 'postgres', '-d', 'mesh', '-Atq', '-c']
def q(sql): return subprocess.run(PSQL + [sql], capture_output=True, text=True).stdout
def calls():
    r = {}
    for line in q("select funcname, calls from pg_stat_user_functions where funcname in ('mesh_create_resource','mesh_update_resource','mesh_delete_resource')").split('\n'):
        if line: n, c = line.split('|'); r[n.split('_')[1]] = int(c)
    return {o: r.get(o, 0) for o in ('create', 'update', 'delete')}
def snap():
    s = q("select coalesce(json_agg(json_build_object('id', queryid::text, 'top', toplevel, 'calls', calls, 'exec', total_exec_time, 'plans', plans, 'plan', total_plan_time, 'rows', rows, 'q', left(regexp_replace(query, '\\s+', ' ', 'g'), 160))), '[]') from pg_stat_statements")
    f = q("select coalesce(json_agg(json_build_object('f', funcname, 'calls', calls, 'total', total_time, 'self', self_time)), '[]') from pg_stat_user_functions")
    return dict(stmts=json.loads(s), funcs=json.loads(f), calls=calls(), t=time.time())
phases = [a for a in sys.argv[4:] if a.isdigit()] or ['8']
for clients in phases:
  while f'-- {clients} client' not in open(stdout).read(): time.sleep(0.5)
  done = set(); prev = calls()
  while len(done) < 3:
      time.sleep(1); cur = calls(); d = {o: cur[o] - prev[o] for o in cur}; prev = cur
      tot = sum(d.values())
      for op in ('create', 'update', 'delete'):
          if op in done or tot < 50 or d[op] < 0.97 * tot: continue
          pm = open(f'{state}/pg/postmaster.pid').readline().strip()
          pids = [pm] + q("select pid from pg_stat_activity where pid <> pg_backend_pid() and (backend_type <> 'client backend' or application_name <> 'psql')").split()
          a = snap()
          if use_perf:
              subprocess.run(['perf', 'record', '-q', '-F', '499', '--call-graph', 'dwarf,16384', '-p', ','.join(pids), '-o', f'{out}/{op}{clients}.data', '--', 'sleep', '8'],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
          else: time.sleep(8)
          b = snap()
          json.dump(dict(a=a, b=b, pids=pids, load=open('/proc/loadavg').read().split()[0]), open(f'{out}/{op}{clients}.json', 'w'))
          n = b['calls'][op] - a['calls'][op]
          print(f"{op} {clients}: {n} calls in the window ({b['calls']})", flush=True)
          done.add(op); prev = calls()
          break
