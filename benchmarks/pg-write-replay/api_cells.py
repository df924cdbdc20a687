#!/usr/bin/env python3
# The six measured write cells of a Mesh.ApiLoad run (--only Create,Update,Delete; 8 and 32 clients: the creates, the update,
# the delete) from api_sampler.py's file: per write PostgreSQL's CPU ms and switches, the API's, WAL records and bytes.
import datetime, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ops = ('create', 'update', 'delete')
secs = []
for a, b in zip(rows, rows[1:]):
    d = {k: b[k] - a[k] for k in a if k not in ('load', 'backends')}
    total = sum(d[o] for o in ops); op = max(ops, key=lambda o: d[o])
    if total < 20 or d[op] < 0.95 * total: op = None
    secs.append((op, a, d, b['backends']))
# runs of one op
runs = []
for op, a, d, be in secs:
    if runs and runs[-1]['op'] == op: r = runs[-1]
    else: r = dict(op=op, secs=[]); runs.append(r)
    r['secs'].append((a, d, be))
cells = []
updates = [j for j, r in enumerate(runs) if r['op'] == 'update' and len(r['secs']) >= 8][:2]
for n, j in enumerate(updates):
    clients = 8 if n == 0 else 32
    k = j - 1
    while k >= 0 and runs[k]['op'] is None and len(runs[k]['secs']) <= 2: k -= 1
    cells.append(('create', clients, runs[k]['secs'][-24:]))
    cells.append(('update', clients, runs[j]['secs']))
    k = j + 1
    while runs[k]['op'] is None and len(runs[k]['secs']) <= 2: k += 1
    cells.append(('delete', clients, runs[k]['secs'][:12]))
for op, clients, s in cells:
    t = {k: sum(d[k] for _, d, _ in s) for k in s[0][1]}; c = t[op]
    print(f"{op:6} {clients:2d} from {datetime.datetime.fromtimestamp(s[0][0]['t'], datetime.timezone.utc):%H:%M:%S} {len(s):2d}s load {s[0][0]['load']:5.1f} calls {c:6d} | pg {t['pg_ticks']*10/c:.3f} ms {t['pg_sw']/c:.2f} sw | "
          f"api {t['api_ticks']*10/c:.3f} ms {t['api_sw']/c:.1f} sw | wal {t['wal_rec']/c:.2f} rec {t['wal_bytes']/c:.0f} B fpi {t['wal_fpi']/c:.3f} | backends {max(b for _,_,b in s)}")
