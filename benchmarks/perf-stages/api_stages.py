#!/usr/bin/env python3
"""The API's perf samples by stage of a write (docs/benchmarks.md, issue14aw).

usage: api_stages.py PERF.DATA PERF-MAP [--time START,END] [--top N] [--stage TEXT] [--leaves]
       api_stages.py --windows WINDOWS.JSONL      (the one-operation windows of a run, in the recording's clock)

PERF.DATA is a `perf record -g -k CLOCK_MONOTONIC -p <api pid>` of the API, PERF-MAP its /tmp/perf-<pid>.map
(DOTNET_PerfMapEnabled=1). WINDOWS.JSONL is what windows.py wrote beside it: the API's calls by operation (its
/metrics) twice a second, stamped with CLOCK_MONOTONIC, so a window's start and end are the recording's times.

A sample goes to the innermost frame (from the leaf) that belongs to a stage, as in stages.py: Npgsql's socket write
under the write path is Npgsql's, and CoreLib or System.Text.Json code a Mesh stage calls is that stage's (the body's
tree is "reading the body", the answer's writer "the answer"). The runtime's own code (libcoreclr: allocation, the GC
on the allocating thread, casts, stubs) has no symbols, so it counts to the stage whose code called it; the "leaf"
column says how much of each stage was the runtime or the kernel. The async machinery (Task continuations, the
thread pool's dispatch and its spinning) is a stage of its own when no stage's frame lies below it.
"""
import json
import sys

import stages

# (stage, substrings of a method's name) in the order a frame is tested against them.
RULES = [
    ('change feed wake-up (ChangeNotifier)', ['Mesh.Api.Resources.ChangeNotifier']),
    ('Npgsql (write, read, the pool; WriteBatch)', ['Npgsql', 'Mesh.Api.Resources.WriteBatch', 'Mesh.Api.Resources.WriteDatabase']),
    ('metrics and logging', ['OpenTelemetry', 'System.Diagnostics.Metrics', 'Mesh.Api.Observability', 'Microsoft.Extensions.Logging',
                             'System.Diagnostics.Activity', 'System.Diagnostics.DiagnosticSource', 'Mesh.Observability']),
    ('the answer (WrittenAnswer, its JSON, the output\'s write)', ['Mesh.Api.Resources.WrittenAnswer', 'Mesh.Api.Resources.ResourceView',
                             'AppMeshEndpoints::WriteOutputAsync', 'AppMeshEndpoints+<WriteOutputAsync', 'Mesh.Api.Protocol.JsonWriters',
                             'Mesh.Api.Resources.RawJson', 'Mesh.Api.Protocol.RenderBuffers', 'Mesh.Api.Resources.EpochSecondsJson']),
    ('SigV4 and auth', ['Mesh.Security', 'Mesh.Api.Security.AuthenticationMiddleware', 'Mesh.Api.Security.Caller',
                        'Mesh.Api.Security.AccountRateLimiter', 'Mesh.Api.Security.SignedHeaders', 'Mesh.Api.Security.AuthOptions']),
    ('reading the body (RequestBody, RequestJson: the JsonObject tree)', ['Mesh.Api.Protocol.RequestJson', 'Mesh.Api.Protocol.KnownStrings',
                        'Mesh.Api.Protocol.RequestBody', 'RequestBinder::ReadBodyAsync', 'RequestBinder+<ReadBodyAsync']),
    ('validation and SpecRules (binding, the input\'s walk, names)', ['Mesh.Model.Wire.ShapeValidator', 'Mesh.Model.Resources.SpecRules',
                        'Mesh.Model.Wire', 'Mesh.Api.Protocol.RequestBinder', 'Mesh.Api.Resources.ResourceNames', 'ResourceOperations::IdentityOf',
                        'ResourceOperations::CheckName', 'ResourceOperations::CheckMeshOwner', 'ResourceOperations::CheckSpec',
                        'ResourceOperations::SpecOf', 'Mesh.Api.Resources.TracingTagRules', 'Mesh.Api.Resources.Tags::']),
    ('ARNs (the policy check\'s and the row\'s)', ['Mesh.Api.Security.OperationResources', 'Mesh.Model.Resources.ResourceId::ToArn',
                        'Mesh.Model.Identity.Arn']),
    ('building the statement (parameters, dependencies, spec UTF-8, clientToken hash, audit record)', [
                        'Mesh.Api.Resources.WriteStatement', 'Mesh.Api.Resources.WriteParameters', 'Mesh.Api.Resources.ParameterSlots',
                        'Mesh.Api.Resources.WriteDependencies', 'ResourceOperations::Utf8Of', 'ResourceOperations::WrittenEntity',
                        'Mesh.Api.Resources.Idempotency', 'Mesh.Api.Resources.CanonicalJson', 'Mesh.Model.Resources',
                        'WriteTransactions::WithAudit', 'Mesh.Api.Security.AuditRecords', 'ApiCall::ToAuditRecord',
                        'Mesh.Api.Resources.QuotaCounter', 'Mesh.Persistence']),
    ('the write\'s orchestration (endpoint, dispatcher, WriteTransactions, DeadlineRace)', ['Mesh.Api.Resources.WriteTransactions',
                        'Mesh.Api.Resources.DeadlineRace', 'Mesh.Api.Resources.ResourceOperations', 'Mesh.Api.Protocol.OperationDispatcher',
                        'Mesh.Api.Protocol.AppMeshEndpoints', 'Mesh.Api.Protocol.ApiCall', 'Mesh.Api.Resources.DatabaseCancels']),
    ('routing and middlewares (ASP.NET Core routing, Mesh\'s request id, deadline, errors)', ['Microsoft.AspNetCore.Routing',
                        'Mesh.Api.Protocol.ErrorHandlingMiddleware', 'Mesh.Api.Protocol.RequestDeadline', 'Mesh.Api.Protocol.RequestId',
                        'Microsoft.AspNetCore.Builder', 'Microsoft.AspNetCore.Diagnostics', 'Microsoft.AspNetCore.Http.RequestDelegateFactory',
                        'Microsoft.AspNetCore.HostFiltering', 'Mesh.Api']),
    ('Kestrel and HTTP parsing (connections, pipes, sockets, the request and response)', ['Microsoft.AspNetCore', 'System.IO.Pipelines',
                        'System.Net.Sockets', 'System.Net.Http', 'Microsoft.Extensions']),
    ('async machinery and the thread pool (continuations, dispatch, spinning)', ['System.Threading', 'System.Runtime.CompilerServices']),
]


def classify(comm, frames):
    if 'Tiered Com' in comm:
        return 'JIT (the tiering thread)', None
    if 'BGC' in comm or 'Server GC' in comm:
        return 'GC (the background GC thread)', None
    if any('libclrjit' in d for _, d in frames):
        return 'JIT (on the worker threads)', None
    names = [n.split('(')[0] for n, _ in frames]
    # A wake-up's NOTIFY goes through Npgsql, but it is the change feed's cost, not a write's statement.
    if any(RULES[0][1][0] in n for n in names):
        return RULES[0][0], None
    for i, name in enumerate(names):
        for stage, patterns in RULES:
            if any(p in name for p in patterns):
                return stage, i
    leaf = frames[0][1] if frames else ''
    if 'kernel' in leaf:
        return 'other: kernel, no managed caller named', None
    if 'libcoreclr' in leaf:
        return 'other: the runtime (GC, allocation, stubs), no managed caller named', None
    return 'other: CoreLib, libc or unnamed', None


def windows(path, share=0.95, operations=('Create', 'Update', 'Delete')):
    """The longest stretch of polls whose calls were at least `share` one write operation, per operation."""
    polls = [json.loads(line) for line in open(path)]
    best = {}
    run = None  # (operation, start, end, calls)
    for before, after in zip(polls, polls[1:]):
        delta = {op: after['c'].get(op, 0) - before['c'].get(op, 0) for op in after['c']}
        total = sum(delta.values())
        top = max(delta, key=delta.get) if total > 0 else None
        kind = next((o for o in operations if top and top.startswith(o)), None)
        if kind and delta[top] >= share * total:
            if run and run[0] == kind and run[2] == before['t']:
                run = (kind, run[1], after['t'], run[3] + delta[top])
            else:
                run = (kind, before['t'], after['t'], delta[top])
            if run[2] - run[1] > best.get(kind, (0, 0, 0))[1] - best.get(kind, (0, 0, 0))[0]:
                best[kind] = (run[1], run[2], run[3])
        else:
            run = None
    for kind, (start, end, calls) in best.items():
        print(f'{kind}: --time {start:.3f},{end:.3f}  ({end - start:.1f} s, {calls:.0f} calls)')


def main():
    if sys.argv[1] == '--windows':
        windows(sys.argv[2])
        return
    data, map_path = sys.argv[1], sys.argv[2]
    o = stages.option
    stages.report(stages.samples(data, map_path, o('--time')), classify, int(o('--top', 0)), o('--stage'), '--leaves' in sys.argv)


if __name__ == '__main__':
    main()
