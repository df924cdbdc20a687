#!/usr/bin/env python3
# Snapshot of PostgreSQL's CPU ticks (postmaster + live children + reaped children) and WAL counters.
import os, subprocess, sys, json
PGDATA = os.environ['PGDATA']
PORT = os.environ.get('PGPORT', '5432')
def stat(pid):
    with open(f'/proc/{pid}/stat') as f:
        s = f.read()
    rest = s[s.rindex(')')+2:].split()
    # fields from 3: state(0) ppid(1) ... utime=14->idx 11, stime 12, cutime 13, cstime 14
    return int(rest[1]), int(rest[11]), int(rest[12]), int(rest[13]), int(rest[14])
def ticks():
    pm = int(open(f'{PGDATA}/postmaster.pid').readline())
    total = 0
    _, u, s, cu, cs = stat(pm)
    total += u + s + cu + cs
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        try:
            ppid, u, s, _, _ = stat(p)
        except Exception: continue
        if ppid == pm: total += u + s
    return total
def q(sql, db='mesh'):
    return subprocess.run(['psql','-h','127.0.0.1','-p',PORT,'-U','postgres','-d',db,'-Atc',sql],capture_output=True,text=True).stdout.strip()
def snap():
    w = q("select wal_records||' '||wal_fpi||' '||wal_bytes||' '||wal_write||' '||wal_sync from pg_stat_wal").split()
    x = q("select sum(xact_commit) from pg_stat_database").strip()
    return dict(ticks=ticks(), wal_records=int(w[0]), wal_fpi=int(w[1]), wal_bytes=int(w[2]), wal_write=int(w[3]), wal_sync=int(w[4]), commits=int(x))
if __name__ == '__main__':
    if sys.argv[1] == 'snap':
        print(json.dumps(snap()))
    elif sys.argv[1] == 'diff':
        a = json.load(open(sys.argv[2])); b = json.load(open(sys.argv[3])); n = float(sys.argv[4])
        d = {k: b[k]-a[k] for k in a}
        print(f"n={n:.0f} cpu_ms/op={d['ticks']*10/n:.3f} wal_B/op={d['wal_bytes']/n:.0f} wal_rec/op={d['wal_records']/n:.2f} fpi/op={d['wal_fpi']/n:.3f} commits/op={d['commits']/n:.2f} wal_sync/op={d['wal_sync']/n:.3f}")
