#!/usr/bin/env python3
"""The API's perf samples by stage of a write (docs/benchmarks.md, issue14aw) or of a read (--reads, issue14ay).

usage: api_stages.py PERF.DATA PERF-MAP [--reads] [--time START,END] [--per-call MS] [--top N] [--stage TEXT] [--leaves]
       api_stages.py --poll METRICS-URL API-PID WINDOWS.JSONL [--every SECONDS] [--postgres POSTMASTER-PID]   (until stopped)
       api_stages.py --windows WINDOWS.JSONL      (the one-operation windows of a run, in the recording's clock)

PERF.DATA is a `perf record -g -k CLOCK_MONOTONIC -p <api pid>` of the API, PERF-MAP its /tmp/perf-<pid>.map
(DOTNET_PerfMapEnabled=1). WINDOWS.JSONL is what --poll writes beside it: the API's calls by operation (its /metrics:
mesh_api_calls_total, and /healthz's from http_server_request_duration_seconds_count) and its CPU (utime + stime of
/proc/<pid>/stat) twice a second, stamped with CLOCK_MONOTONIC, so a window's start and end are the recording's
times; with --postgres, PostgreSQL's CPU too (the postmaster and its children). --windows prints each cell's window (a stretch of
at least 5 s of one operation's calls) and, per call over it, the API's CPU (from /proc, so the poller's own scrapes are in it: one every half
second), its context switches and PostgreSQL's CPU; --per-call MS turns each stage's share into microseconds of the
API's CPU per call.

A sample goes to the innermost frame (from the leaf) that belongs to a stage, as in stages.py: Npgsql's socket write
under the write path is Npgsql's, and CoreLib or System.Text.Json code a Mesh stage calls is that stage's (the body's
tree is "reading the body", the answer's writer "the answer"). The runtime's own code (libcoreclr: allocation, the GC
on the allocating thread, casts, stubs) has no symbols, so it counts to the stage whose code called it; the "leaf"
column says how much of each stage was the runtime or the kernel. The async machinery (Task continuations, the
thread pool's dispatch and its spinning) is a stage of its own when no stage's frame lies below it.
"""
import json
import os
import re
import sys
import time
import urllib.request

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


# The stages of a read (Describe, a list page) and of /healthz, in the same innermost-frame way (--reads). The SigV4
# verification is split as issue14ay's brief asks: the canonical request, the hashes (SHA-256 of it, the HMAC of the
# string to sign: libcrypto, whose frames perf cannot unwind, counts here whole; on a GET nothing else uses it), the
# access key's and signing key's caches, the rest of the verifier (the Authorization header's parse, the date, the
# scope's checks, the signature's comparison); then the rate limiter and the authentication middleware's own frames.
# The thread pool's patterns are its own types only, so CoreLib threading a stage calls (a CancellationTokenSource's
# registration, Interlocked) stays that stage's.
READ_RULES = [
    ('SigV4: the hashes (SHA-256 of the canonical request, HMAC of the string to sign; ThreadHashers, libcrypto)', [
        'Mesh.Security.ThreadHashers', 'System.Security.Cryptography', 'Interop+Crypto']),
    ('SigV4: the canonical request (path, query, headers, the pooled text)', [
        'SigV4::AppendCanonicalRequest', 'SigV4::CanonicalUri', 'SigV4::IsCanonicalPath', 'SigV4::AppendCanonicalQuery',
        'SigV4::IsCanonicalQuery', 'SigV4::SortedCanonicalQuery', 'SigV4::CanonicalHeaderValue', 'SigV4::IsTrimmedSingleSpaced',
        'SigV4::Encode', 'Mesh.Security.PooledText', 'Mesh.Api.Security.SignedHeaders']),
    ('SigV4: the access key\'s and the signing key\'s caches', ['Mesh.Security.AccessKeyCache', 'Mesh.Security.AccessKeyStore',
        'Mesh.Security.SigningKeyCache', 'Mesh.Security.ActiveKey', 'Mesh.Security.SecretProtector']),
    ('SigV4: the verifier (the header\'s parse, the date, the checks, the signature\'s comparison)', ['Mesh.Security.SigV4',
        'Mesh.Security.ParsedTexts', 'Mesh.Security.SignedRequest', 'Mesh.Security.AuthFailure']),
    ('the rate limiter', ['Mesh.Api.Security.AccountRateLimiter']),
    ('the authentication middleware\'s own (the signed request\'s reading, the caller)', ['Mesh.Api.Security.AuthenticationMiddleware',
        'Mesh.Api.Security.Caller', 'Mesh.Api.WebConsole.ConsoleSession', 'Mesh.Api.CloudMap.CloudMapRequest']),
    ('the database read: Npgsql', ['Npgsql']),
    ('the database read: Mesh\'s (DataRow, the list\'s loop, parameter sets, ReadRace, kept answers)', ['Mesh.Api.Resources.DataRow',
        'Mesh.Api.Resources.ReadParameter', 'Mesh.Api.Resources.ParameterSlots', 'Mesh.Api.Resources.ReadRace', 'Mesh.Api.Resources.DeadlineRace',
        'Mesh.Api.Resources.RenderedPerVersion', 'Mesh.Api.Resources.ReadDatabase', 'Mesh.Api.Resources.IdleSets', 'Mesh.Api.Resources.ListKeys',
        'Mesh.Api.Resources.RefRow', 'Mesh.Api.Resources.PageTokens', 'Mesh.Api.Resources.ResourceOperations', 'Mesh.Api.Resources.DatabaseCancels',
        'Mesh.Api.Protocol.OperationDispatcher']),
    ('rendering the answer (WriteOutputAsync, RawJson, the JSON writer, the render buffers)', ['AppMeshEndpoints::WriteOutputAsync',
        'AppMeshEndpoints+<WriteOutputAsync', 'Mesh.Api.Protocol.JsonWriters', 'Mesh.Api.Resources.RawJson', 'Mesh.Api.Protocol.RenderBuffers',
        'Mesh.Api.Resources.ResourceView', 'Mesh.Api.Resources.DataWriter', 'Mesh.Api.Resources.EpochSecondsJson', 'System.Text.Json']),
    ('logging and telemetry (OpenTelemetry, meters, activities, ApiMetrics, hosting\'s diagnostics, logging)', ['OpenTelemetry',
        'System.Diagnostics.Metrics', 'Mesh.Api.Observability', 'Microsoft.Extensions.Logging', 'System.Diagnostics.Activity',
        'System.Diagnostics.DiagnosticSource', 'System.Diagnostics.DiagnosticListener', 'Mesh.Observability',
        'Microsoft.AspNetCore.Hosting.HostingApplicationDiagnostics', 'Microsoft.AspNetCore.Hosting.HostingMetrics',
        'Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Infrastructure.KestrelMetrics', 'Microsoft.Extensions.Diagnostics.Metrics']),
    ('the endpoint: binding, the ARN, the policy check, the call\'s record', ['Mesh.Api.Protocol.AppMeshEndpoints',
        'Mesh.Api.Protocol.RequestBinder', 'Mesh.Api.Protocol.DescribeLabels', 'Mesh.Api.Protocol.ListLabels', 'Mesh.Api.Security.OperationResources',
        'Mesh.Model.Resources.ResourceId', 'Mesh.Model.Identity', 'Mesh.Security.KeyPolicy', 'Mesh.Security.PolicyStatement',
        'Mesh.Security.Wildcard', 'Mesh.Api.Protocol.ApiCall', 'Mesh.Api.Resources.ResourceNames', 'Mesh.Api.Resources.ListRequest']),
    ('the middlewares (request id, deadline, error handling, the bare error\'s check)', ['Mesh.Api.Protocol.ErrorHandlingMiddleware',
        'Mesh.Api.Protocol.RequestId', 'Mesh.Api.Protocol.RequestDeadline', 'Mesh.Api.Protocol.BareErrorAnswer', 'Mesh.Api.Protocol.ApiFailures',
        'Microsoft.AspNetCore.HostFiltering', 'Microsoft.AspNetCore.Builder', 'Microsoft.AspNetCore.Http.RequestDelegate']),
    ('/healthz (health checks)', ['Microsoft.Extensions.Diagnostics.HealthChecks', 'Microsoft.AspNetCore.Diagnostics.HealthChecks']),
    ('routing (ASP.NET Core routing, endpoint dispatch)', ['Microsoft.AspNetCore.Routing', 'Microsoft.AspNetCore.Http.RequestDelegateFactory',
        'Microsoft.AspNetCore.Http.Generated']),
    ('Mesh: other', ['Mesh.']),
    ('Kestrel and the HTTP/1.1 parse (connections, pipes, the request and response, headers)', ['Microsoft.AspNetCore',
        'System.IO.Pipelines', 'System.Net.Http', 'Microsoft.Extensions', 'Microsoft.Net.Http']),
    ('sockets (managed: the socket engine, sends and receives)', ['System.Net.Sockets', 'System.Net.']),
    ('the thread pool and async machinery (dispatch, continuations, ExecutionContext, wake-ups)', ['System.Threading.ThreadPool',
        'System.Threading.PortableThreadPool', 'System.Threading.LowLevel', 'System.Threading.Tasks', 'System.Threading.ExecutionContext',
        'System.Threading.Thread::', 'System.Threading.WaitSubsystem', 'System.Threading.Monitor', 'System.Threading.Semaphore',
        'System.Threading.IOCompletion', 'System.Threading.ThreadInt64PersistentCounter', 'System.Runtime.CompilerServices']),
]
IDLE = 'the thread pool: idle workers waiting (LowLevelLifoSemaphore.Wait, the futex)'


def classify_read(comm, frames):
    if 'Tiered Com' in comm:
        return 'JIT (the tiering thread)', None
    if 'BGC' in comm or 'Server GC' in comm:
        return 'GC (the GC threads)', None
    if any('libclrjit' in d for _, d in frames):
        return 'JIT (on the worker threads)', None
    if frames and 'libcrypto' in frames[0][1]:
        return READ_RULES[0][0], 0
    names = [n.split('(')[0] for n, _ in frames]
    if any('LowLevelLifoSemaphore::Wait' in n for n in names):
        return IDLE, None
    for i, name in enumerate(names):
        for stage, patterns in READ_RULES:
            if any(p in name for p in patterns):
                return (socket_owner(names[i + 1:]) if stage == SOCKETS else stage), i
    return unnamed_caller(names, frames)


SOCKETS = 'sockets (managed: the socket engine, sends and receives)'


def socket_owner(above):
    """Managed socket work by whose socket it is: the first of Npgsql's or Kestrel's frames above it."""
    for name in above:
        if 'Npgsql' in name:
            return 'sockets: PostgreSQL\'s connection (Npgsql\'s sends and receives)'
        if 'Microsoft.AspNetCore' in name:
            return 'sockets: the client\'s connection (Kestrel\'s sends and receives)'
    return 'sockets: the socket engine (epoll, dispatching completions)'


# perf walks a stack by frame pointers, which glibc's system-call wrappers and libSystem.Native do not keep: a sample in
# send, recv, sched_yield or a futex shows the libc function and no managed frame above it. Such samples are named by
# what the thread was doing. The yields were named with DOTNET_ReadyToRun=0 (CoreLib's code then JIT'd and in the perf
# map): the thread pool's worker between two work requests (Thread.Sleep(0) in WorkerThreadStart), not a spin limit.
UNNAMED = [
    ('socket sends, caller not named (Kestrel\'s answers, Npgsql\'s statements; loopback delivers to the receiver inside the send)',
        ['__send', '__x64_sys_sendto', '__sys_sendto']),
    ('socket receives, caller not named', ['__libc_recv', '__x64_sys_recvfrom', '__sys_recvfrom']),
    ('the thread pool: a worker\'s yield between work requests (sched_yield, Sleep(0) in WorkerThreadStart)', ['sched_yield']),
    ('threads blocking and waking (futex, condition variables), caller not named', ['futex', 'pthread_cond', '__lll_lock',
        '__pthread_mutex', '__condvar']),
]


def unnamed_caller(names, frames):
    for stage, patterns in UNNAMED:
        if any(p in name for name in names for p in patterns):
            return stage, None
    leaf = frames[0][1] if frames else ''
    if 'kernel' in leaf:
        return 'other: kernel (preemption, interrupts, the rest), no managed caller named', None
    if 'libcoreclr' in leaf:
        return 'other: the runtime (GC, allocation, stubs), no managed caller named', None
    return 'other: CoreLib, libc or unnamed', None


def windows(path, share=0.95, operations=('Create', 'Update', 'Delete', 'Describe', 'List', 'Healthz'), shortest=5.0):
    """Each stretch of polls, at least `shortest` seconds long, whose calls were at least `share` one operation (a cell
    of the load client: one per operation and client count), with the API's CPU per call over it (from /proc, when the
    poll has it), its context switches and PostgreSQL's CPU."""
    polls = [json.loads(line) for line in open(path)]
    runs = []
    run = None  # [operation, start, end, calls, first poll, last poll]
    for before, after in zip(polls, polls[1:]):
        delta = {op: after['c'].get(op, 0) - before['c'].get(op, 0) for op in after['c']}
        total = sum(delta.values())
        top = max(delta, key=delta.get) if total > 0 else None
        kind = next((o for o in operations if top and top.startswith(o)), None)
        if kind and delta[top] >= share * total:
            if run and run[0] == kind and run[2] == before['t']:
                run[2:] = [after['t'], run[3] + delta[top], run[4], after]
            else:
                run = [kind, before['t'], after['t'], delta[top], before, after]
                runs.append(run)
        else:
            run = None
    for kind, start, end, calls, first, last in runs:
        if end - start < shortest:
            continue
        per_call = ''
        if 'cpu' in first:
            per_call += f', API CPU {1000 * (last["cpu"] - first["cpu"]) / calls:.4f} ms a call ({last["cpu"] - first["cpu"]:.2f} s)'
        if 'cs' in first:
            per_call += f', API context switches {switched(first["cs"], last["cs"]) / calls:.2f} a call'
        if 'pg' in first:
            per_call += f', PostgreSQL CPU {1000 * (last["pg"] - first["pg"]) / calls:.4f} ms a call'
        print(f'{kind}: --time {start:.3f},{end:.3f}  ({end - start:.1f} s, {calls:.0f} calls, {calls / (end - start):.0f} a second{per_call})')


def cpu_seconds(pid, ticks, reaped=False):
    """utime + stime of /proc/<pid>/stat (and cutime + cstime, its ended children's, when reaped), in seconds; 0 once gone."""
    try:
        stat = open(f'/proc/{pid}/stat').read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(')') + 2:].split()  # from the state on: utime, stime, cutime, cstime are the 12th to 15th
    return sum(int(f) for f in fields[11:15 if reaped else 13]) / ticks


def switches(pid):
    """The context switches (voluntary and not) of each of the process's threads, by thread id."""
    counts = {}
    for task in os.listdir(f'/proc/{pid}/task'):
        try:
            counts[task] = sum(int(line.split()[-1]) for line in open(f'/proc/{pid}/task/{task}/status') if 'ctxt_switches' in line)
        except OSError:
            pass
    return counts


def switched(first, last):
    """The context switches between two polls: of the threads alive at the second (a thread that ended between them is
    not counted, so this is a floor)."""
    if isinstance(first, int):  # a poll of the first form: one sum over the threads
        return last - first
    return sum(count - first.get(task, 0) for task, count in last.items())


def poll(url, pid, out, every=0.5, postmaster=None):
    """Writes one line a poll: CLOCK_MONOTONIC (perf record -k CLOCK_MONOTONIC's clock), the API's calls by operation, and
    its CPU seconds from /proc/<pid>/stat, until stopped."""
    ticks = os.sysconf('SC_CLK_TCK')
    operation = re.compile(r'operation="([^"]*)"')
    with open(out, 'a') as lines:
        while True:
            began = time.clock_gettime(time.CLOCK_MONOTONIC)
            try:
                text = urllib.request.urlopen(url, timeout=5).read().decode()
            except OSError:
                time.sleep(every)
                continue
            calls = {}
            for line in text.splitlines():
                if line.startswith('mesh_api_calls_total{'):
                    name = operation.search(line).group(1)
                elif line.startswith('http_server_request_duration_seconds_count{') and 'http_route="/healthz"' in line:
                    name = 'Healthz'
                else:
                    continue
                calls[name] = calls.get(name, 0) + float(line.rsplit(' ', 1)[1])
            cpu = cpu_seconds(pid, ticks)
            line = {'t': round(time.clock_gettime(time.CLOCK_MONOTONIC), 3), 'c': calls, 'cpu': cpu, 'cs': switches(pid)}
            if postmaster:
                # PostgreSQL's CPU: the postmaster, its living children and (cutime, cstime) those that ended.
                children = [int(c) for c in open(f'/proc/{postmaster}/task/{postmaster}/children').read().split()]
                line['pg'] = cpu_seconds(postmaster, ticks, reaped=True) + sum(cpu_seconds(c, ticks) for c in children)
            now = line['t']
            lines.write(json.dumps(line) + '\n')
            lines.flush()
            time.sleep(max(0.0, every - (now - began)))


def main():
    o = stages.option
    if sys.argv[1] == '--windows':
        windows(sys.argv[2])
        return
    if sys.argv[1] == '--poll':
        poll(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(o('--every', 0.5)), int(o('--postgres', 0)) or None)
        return
    data, map_path = sys.argv[1], sys.argv[2]
    per_call = float(o('--per-call')) if o('--per-call') else None
    stages.report(stages.samples(data, map_path, o('--time')), classify_read if '--reads' in sys.argv else classify,
                  int(o('--top', 0)), o('--stage'), '--leaves' in sys.argv, per_call)


if __name__ == '__main__':
    main()
