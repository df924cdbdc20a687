#!/usr/bin/env python3
# Per-second sampler beside an API run (Mesh.ApiLoad): PostgreSQL's CPU ticks and context switches (postmaster,
# children, reaped children's ticks), the API's CPU ticks and context switches (all its threads), pg_stat_wal, and the write
# functions' calls (needs track_functions = pl). api_sampler.py <pgdata> <pgport> <api pid> <out file>; then api_cells.py <out file>.
import os, sys, time, subprocess, json
pgdata, port, api, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def stat(pid):
    with open(f'/proc/{pid}/stat') as f: s = f.read()
    r = s[s.rindex(')')+2:].split()
    return int(r[1]), int(r[11]), int(r[12]), int(r[13]), int(r[14])
def switches(path):
    v = n = 0
    with open(path) as f:
        for line in f:
            if line.startswith('voluntary_ctxt_switches'): v = int(line.split()[1])
            elif line.startswith('nonvoluntary_ctxt_switches'): n = int(line.split()[1])
    return v + n
pg_seen = {}; pg_total = [0]
def pg():
    # Switches as a running total of each process's increase since it was last seen (an exiting child takes its count).
    pm = int(open(f'{pgdata}/postmaster.pid').readline())
    _, u, s, cu, cs = stat(pm)
    ticks = u + s + cu + cs
    for p in [str(pm)] + [p for p in os.listdir('/proc') if p.isdigit()]:
        try:
            ppid, u, s, _, _ = stat(p)
            if p == str(pm) or ppid == pm:
                if p != str(pm): ticks += u + s
                c = switches(f'/proc/{p}/status')
                pg_total[0] += c - pg_seen.get(p, 0); pg_seen[p] = c
        except Exception: pass
    return ticks, pg_total[0]
seen = {}; api_total = [0]
def apis():
    # Switches as a running total of each thread's increase since it was last seen (a thread that exits takes its
    # count with it; summing the live threads' counts would then go down).
    _, u, s, _, _ = stat(api)
    for t in os.listdir(f'/proc/{api}/task'):
        try:
            c = switches(f'/proc/{api}/task/{t}/status')
            api_total[0] += c - seen.get(t, 0); seen[t] = c
        except Exception: pass
    return u + s, api_total[0]
Q = ("select extract(epoch from now())::bigint||' '||(select wal_records||' '||wal_bytes||' '||wal_fpi from pg_stat_wal)||' '||"
     "coalesce((select sum(calls) from pg_stat_user_functions where funcname='mesh_create_resource'),0)||' '||"
     "coalesce((select sum(calls) from pg_stat_user_functions where funcname='mesh_update_resource'),0)||' '||"
     "coalesce((select sum(calls) from pg_stat_user_functions where funcname='mesh_delete_resource'),0)||' '||"
     "(select sum(xact_commit) from pg_stat_database)||' '||(select count(*) from pg_stat_activity where backend_type='client backend');\n")
psql = subprocess.Popen(['/usr/lib/postgresql/15/bin/psql','-h','127.0.0.1','-p',port,'-U','postgres','-d','mesh','-Atq'],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
with open(out, 'a') as f:
    while True:
        try:
            t = time.time(); pt, ps = pg(); at, asw = apis()
            psql.stdin.write(Q); line = psql.stdout.readline().split()
            load = open('/proc/loadavg').read().split()[0]
            f.write(json.dumps(dict(t=round(t,2), pg_ticks=pt, pg_sw=ps, api_ticks=at, api_sw=asw, wal_rec=int(line[1]), wal_bytes=int(line[2]),
                                    wal_fpi=int(line[3]), create=int(line[4]), update=int(line[5]), delete=int(line[6]), commits=int(line[7]),
                                    backends=int(line[8]), load=float(load))) + '\n'); f.flush()
        except (FileNotFoundError, ProcessLookupError, IndexError, BrokenPipeError):
            break
        time.sleep(max(0, 1 - (time.time() - t)))
