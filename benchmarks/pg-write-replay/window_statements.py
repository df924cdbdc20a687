#!/usr/bin/env python3
# window_statements.py <op.json>: per write of the op in the window, each statement's calls, execution and planning time
# (pg_stat_statements, nested ones too) and each PL/pgSQL function's total and own time (pg_stat_user_functions).
import json, sys
d = json.load(open(sys.argv[1])); a, b = d['a'], d['b']
import re; op = re.sub(r'[0-9]+$', '', sys.argv[1].split('/')[-1].split('.')[0]); n = b['calls'][op] - a['calls'][op]
print(f"{op}: {n} writes in {b['t']-a['t']:.1f} s, load {d['load']}")
A = {(s['id'], s['top']): s for s in a['stmts']}
rows = []
for s in b['stmts']:
    p = A.get((s['id'], s['top']), dict(calls=0, exec=0, plans=0, plan=0))
    c = s['calls'] - p['calls']
    if c <= 0: continue
    rows.append((s['exec'] - p['exec'], c, s['plans'] - p['plans'], s['plan'] - p['plan'], s['top'], s['q']))
rows.sort(reverse=True)
print("| statement | level | calls per write | exec ms per write | mean exec ms | plans | plan ms per write |")
print("|---|---|---|---|---|---|---|")
for e, c, pl, pt, top, txt in rows:
    if c / n < 0.05: continue
    print(f"| `{txt[:110]}` | {'top' if top else 'nested'} | {c/n:.2f} | {e/n:.4f} | {e/c:.4f} | {pl} | {pt/n:.4f} |")
F = {f['f']: f for f in a['funcs']}
print("\n| function | calls per write | total ms per write | own ms per write |")
print("|---|---|---|---|")
for f in sorted(b['funcs'], key=lambda f: -(f['self'] - F.get(f['f'], dict(self=0))['self'])):
    p = F.get(f['f'], dict(calls=0, total=0, self=0)); c = f['calls'] - p['calls']
    if c <= 0: continue
    print(f"| {f['f']} | {c/n:.2f} | {(f['total']-p['total'])/n:.4f} | {(f['self']-p['self'])/n:.4f} |")
