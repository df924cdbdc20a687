#!/usr/bin/env python3
"""The xDS server's perf samples by stage of the work (docs/benchmarks.md, issue13ba).

usage: stages.py PERF.DATA PERF-MAP [--top N] [--stage TEXT] [--leaves] [--time START,END]

PERF.DATA is a `perf record -g` of one server (the fleet's --profile-connect or --profile-steady), PERF-MAP the
runtime's /tmp/perf-<pid>.map of that server (DOTNET_PerfMapEnabled=1).

Why a script of its own: perf names a frame from the perf map only when the code lies in anonymous memory. The
runtime's double-mapped code heap (W^X, on by default) is a memfd, so perf prints JIT'd frames as offsets in
`/memfd:doublemapper`; those are turned back into addresses from the recording's mmap events and named here.
ReadyToRun (precompiled) code lies in the mapped .dll files, and the runtime does not write it to the perf map
(checked: DOTNET_PerfMapEnabled=1 with DOTNET_PerfMapShowOptimizationTiers=1 wrote no [PreJIT] line), so such a frame
is named by its assembly only. A precompiled Mesh.XdsServer frame is given to the stage of the first named Mesh
frame above it, when there is one before gRPC's or Kestrel's; otherwise it counts as "Mesh: other".

A sample goes to the innermost frame (from the leaf) that belongs to a stage: so Kestrel's write under a Mesh
session is Kestrel's, and protobuf or CoreLib code a Mesh stage calls is that stage's. The tiered-compilation
thread and libclrjit frames are the JIT; the server GC's threads are GC.
"""
import bisect
import re
import subprocess
import sys
from collections import Counter, defaultdict

# (stage, substrings of a method's name) in the order a frame is tested against them.
RULES = [
    ('node read: locate and compare (SequenceNodeField, NodeWire, StreamNodeMemo)', ['Protocol.SequenceNodeField', 'Protocol.NodeWire', 'Protocol.StreamNodeMemo']),
    ('node read: first read and interning (NodeInterner, SharedExtensions, WireFields)', ['Protocol.NodeInterner', 'Protocol.SharedExtensions', 'Protocol.WireFields']),
    ('node read: the marshaller (fields around the node, copy, memo table)', ['Protocol.NodeSlicingMarshaller']),
    ('metrics (XdsMetrics, Kestrel pool sums, OpenTelemetry)', ['Diagnostics.XdsMetrics', 'Diagnostics.KestrelPoolTotals', 'OpenTelemetry', 'System.Diagnostics.Metrics']),
    ('responses (select, version, shared encoding, write)', ['Protocol.SotwEncoding', 'Protocol.SharedSotwResponses', 'Protocol.SharedDeltaResponses', 'SotwSession::SendIfChangedAsync', 'SotwSession+<SendIfChangedAsync', 'SotwSession::Select', 'SotwSession::OnSnapshotAsync', 'DeltaSession::OnSnapshotAsync', 'DeltaSession::Send', 'DeltaSession+<Send', 'DeltaSession+<WriteAsync', 'DeltaSession::WriteAsync', 'DeltaSession::SharedFirst', 'DeltaSession::Diff', 'Protocol.DeltaResponses', 'Protocol.DeltaHoldings', 'Protocol.DeltaChange', 'Resources.Hashing', 'Snapshots.ResourceSet', 'Snapshots.SnapshotCache', 'Snapshots.Snapshot::']),
    ('a request\'s handling and ACKs (OnRequestAsync, status, type state)', ['SotwSession::OnRequestAsync', 'SotwSession+<OnRequestAsync', 'DeltaSession::OnRequestAsync', 'DeltaSession+<OnRequestAsync', 'Protocol.StreamStatus', 'Protocol.SotwTypeState', 'Protocol.DeltaTypeState', '::HandleRequestAsync']),
    ('the stream\'s session (open, identify, watch, pump, close)', ['Protocol.XdsSession', 'Protocol.SotwSession', 'Protocol.DeltaSession', 'Protocol.StreamPump', 'Protocol.XdsStreams', 'Protocol.StreamRegistry', 'Protocol.LatestSnapshot', 'Protocol.PushGate', 'Identity.ProxyIdentityParser', 'Mesh.XdsServer.Services', 'Mesh.XdsServer.Registration', 'Mesh.XdsServer.Auth']),
    # The server's pool for Kestrel's buffers (Xds:KestrelBuffers=Heap, the default): its rent and return run for every
    # block the sockets and pipes take (issue13bi: a rent walked the whole free stack to count it).
    ('Kestrel\'s buffers: the server\'s block pool (BlockPool, KestrelBlockPools)', ['Hosting.Buffers.']),
    ('translation and snapshot builds (per identity)', ['Mesh.Translation', 'Snapshots.SnapshotBuilder', 'Snapshots.SnapshotProducer', 'Snapshots.ResourceInterner', '[Mesh.Translation.dll']),
    ('Mesh: other (feed, hosting; precompiled code whose Mesh caller is not named)', ['[Mesh.XdsServer', '[Mesh.Model', '[Mesh.Persistence', '[Mesh.Security', '[Mesh.Observability', 'Mesh.XdsServer', 'Mesh.Persistence', 'Mesh.Model']),
    ('gRPC (framing, the call, marshalling)', ['Grpc.AspNetCore', 'Grpc.Core', 'Grpc.Shared', 'Grpc.Net', '[Grpc.']),
    ('HTTP/2 and Kestrel (pipes, sockets, HPACK)', ['Microsoft.AspNetCore', 'System.IO.Pipelines', 'System.Net.Sockets', 'System.Net.Http', 'Microsoft.Extensions']),
    ('EF Core and Npgsql (the change feed\'s poll)', ['Microsoft.EntityFrameworkCore', 'Npgsql']),
]
MESH_STAGES = RULES[:8]
STACK = RULES[10][1] + RULES[11][1]
FRAME = re.compile(r'^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$')
MMAP = re.compile(r'PERF_RECORD_MMAP2? .*\[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (0x[0-9a-f]+|0) .*\]: (\S+) (.*)$')


def load_map(path):
    rows = []
    for line in open(path, errors='replace'):
        parts = line.rstrip('\n').split(' ', 2)
        try:
            start, size = int(parts[0], 16), int(parts[1], 16)
        except (ValueError, IndexError):
            continue
        rows.append((start, start + size, parts[2]))
    rows.sort()
    return [r[0] for r in rows], rows


def classify(comm, frames):
    """The stage of one sample; frames are (method, dso), leaf first. Returns (stage, index of the deciding frame)."""
    if 'Tiered Com' in comm:
        return 'JIT (the tiering thread)', None
    if 'Server GC' in comm or 'BGC' in comm:
        return 'GC (the GC threads)', None
    if any('libclrjit' in d for _, d in frames):
        return 'JIT (tier 0, on the worker threads)', None
    names = [re.sub(r'\(.*', '', n) for n, _ in frames]  # the method, not its parameters' types
    idle = thread_pool_idle(comm, names)
    if idle is not None:
        return idle
    for i, name in enumerate(names):
        for stage, patterns in RULES:
            if not any(p in name for p in patterns):
                continue
            if stage.startswith('Mesh: other') and '[Mesh.XdsServer.dll' in name:
                for above in names[i + 1:]:
                    for mesh_stage, mesh_patterns in MESH_STAGES:
                        if any(p in above for p in mesh_patterns):
                            return mesh_stage, i
                    if any(p in above for p in STACK):
                        break
            return stage, i
    for i, name in enumerate(names):
        if any(p in name for p in THREAD_POOL_MACHINERY):
            return THREAD_POOL_DISPATCH, i
    leaf = frames[0][1] if frames else ''
    if 'kernel' in leaf:
        return 'kernel, no managed caller named', None
    return 'runtime, CoreLib or libc, no stage above', None


# The thread pool's own work, apart from the work items it runs (issue13bg). An idle worker spins (up to
# System.Threading.ThreadPool.UnfairSemaphoreSpinLimit times, 70 by default, calling sched_yield) in
# LowLevelLifoSemaphore.Wait before it blocks on the semaphore; a thread that queues work while workers wait wakes
# one through LowLevelLifoSemaphore.Release (a futex wake). These are tested before any stage, so a wake-up under
# Kestrel's or Mesh's code is the thread pool's, as it would not be there without idle workers.
THREAD_POOL_SPINNING = 'thread pool: idle workers spinning (LowLevelLifoSemaphore.Wait, sched_yield)'
THREAD_POOL_BLOCKING = 'thread pool: idle workers blocking and woken (the semaphore\'s wait, futex)'
THREAD_POOL_RELEASE = 'thread pool: waking a worker (LowLevelLifoSemaphore.Release)'
# What a worker runs between work items, when no stage's frame lies below it: counted only when no stage matched.
THREAD_POOL_DISPATCH = 'thread pool: dispatch, queueing and timers, no stage below'
THREAD_POOL_MACHINERY = ['System.Threading.ThreadPool', 'System.Threading.PortableThreadPool', 'System.Threading.TimerQueue',
                         'System.Threading.Timer', 'System.Threading.Tasks', 'System.Threading.ExecutionContext',
                         'System.Runtime.CompilerServices.AsyncTaskMethodBuilder', 'System.Runtime.CompilerServices.AsyncValueTaskMethodBuilder',
                         'System.Threading.Thread::', 'System.Threading.Monitor', 'System.Threading.SpinWait', 'System.Threading.LowLevel']
BLOCKING_FRAMES = ['WaitForSignal', 'WaitSubsystem', 'LowLevelMonitor', 'WaitCore', 'futex_wait', 'pthread_cond']
SPINNING_FRAMES = ['sched_yield', 'SpinWait', 'Sleep0', 'LowLevelSpinWaiter', 'Thread::Yield']


def thread_pool_idle(comm, names):
    """The thread pool's idle stages for a sample whose stack names LowLevelLifoSemaphore, or a worker's sample that
    yields or waits on a futex with no stage's frame named; None otherwise."""
    for i, name in enumerate(names):
        if 'LowLevelLifoSemaphore' not in name:
            continue
        method = name.rsplit('::', 1)[-1].strip()
        if method in ('Release', 'ReleaseCore', 'Signal'):
            return THREAD_POOL_RELEASE, i
        if method in ('WaitForSignal', 'WaitNative', 'WaitCore'):
            return THREAD_POOL_BLOCKING, i
        below = names[:i]
        if any(p in n for n in below for p in SPINNING_FRAMES):
            return THREAD_POOL_SPINNING, i
        if any(p in n for n in below for p in BLOCKING_FRAMES):
            return THREAD_POOL_BLOCKING, i
        return THREAD_POOL_SPINNING, i  # the spin loop itself (its leaf is the Wait method's own code)
    # perf cannot unwind through libc here, so a worker's yield or futex wait often has no managed caller at all.
    if 'TP Worker' in comm and not any(p in n for n in names for _, patterns in RULES for p in patterns):
        if any('sched_yield' in n for n in names):
            return THREAD_POOL_SPINNING, None
        if any('futex_wait' in n or 'futex_abstimed_wait' in n for n in names):
            return THREAD_POOL_BLOCKING, None
    return None


def samples(data, map_path, time_range=None):
    """Each sample of a recording as (comm, frames), frames (method, dso) leaf first, JIT'd frames named from the map.
    time_range ("start,end" in the recording's clock, seconds) keeps only the samples taken within it."""
    starts, rows = load_map(map_path)

    def name_of(address):
        i = bisect.bisect_right(starts, address) - 1
        return rows[i][2] if i >= 0 and address < rows[i][1] else None

    views = []  # (memfd offset, end, address) of the code heap's executable views

    def address_of(offset):
        for low, high, start in reversed(views):
            if low <= offset < high:
                return start + offset - low
        return offset

    command = ['perf', 'script', '-i', data, '-F', 'comm,tid,ip,sym,dso', '--no-inline', '--show-mmap-events']
    if time_range:
        command += ['--time', time_range]
    perf = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors='replace')
    comm, frames = None, []
    for line in perf.stdout:
        if 'PERF_RECORD_MMAP' in line:
            m = MMAP.search(line)
            if m and 'doublemapper' in m.group(5) and 'x' in m.group(4):
                start, length, offset = (int(m.group(k), 16) for k in (1, 2, 3))
                views.append((offset, offset + length, start))
            continue
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
            continue
        m = FRAME.match(line)
        if m and comm is not None:
            address, symbol, dso = int(m.group(1), 16), m.group(2), m.group(3)
            if symbol.startswith('[unknown]') or dso.endswith('.dll') or 'doublemapper' in dso:
                name = name_of(address_of(address) if 'doublemapper' in dso else address)
                if name is not None:
                    symbol = name
                elif dso.endswith('.dll'):
                    symbol = '[' + dso.rsplit('/', 1)[-1] + ' precompiled]'
            frames.append((symbol, dso))
        elif not line.startswith((' ', '\t')):
            if comm is not None:
                yield comm, frames
            parts = line.rstrip().rsplit(None, 1)
            comm, frames = (parts[0] if len(parts) == 2 else line.strip()), []
    if comm is not None:
        yield comm, frames


def leaf_kind(frames):
    leaf = frames[0][1] if frames else ''
    return 'kernel' if 'kernel' in leaf else 'runtime' if 'libcoreclr' in leaf else 'libc' if 'libc' in leaf else 'managed'


def report(records, classify_sample, top=0, only=None, leaves=False, per_call_ms=None):
    """Prints the samples' shares by stage; classify_sample(comm, frames) gives (stage, index of the deciding frame).
    per_call_ms (the process's CPU per call over the same window) adds each stage's share of it in microseconds."""
    counts, kinds, tops = Counter(), defaultdict(Counter), defaultdict(Counter)
    total = 0
    for comm, frames in records:
        total += 1
        stage, at = classify_sample(comm, frames)
        counts[stage] += 1
        kinds[stage][leaf_kind(frames)] += 1
        if top and (only is None or only in stage):
            if leaves:
                key = ' | '.join(re.sub(r'\(.*', '', n)[-70:] for n, _ in frames[:6])
            else:
                key = frames[at][0] if at is not None else (frames[0][0] if frames else '?')
            tops[stage][key[:200]] += 1

    print(f'{total} samples')
    for stage, n in counts.most_common():
        leaf = ', '.join(f'{k} {v}' for k, v in kinds[stage].most_common())
        micros = f'{1000.0 * per_call_ms * n / max(total, 1):6.1f} µs  ' if per_call_ms else ''
        print(f'{100.0 * n / max(total, 1):5.1f}%  {n:6d}  {micros}{stage}   [leaf: {leaf}]')
        for key, v in tops[stage].most_common(top):
            print(f'           {v:6d}  {key}')


def option(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main():
    data, map_path = sys.argv[1], sys.argv[2]
    report(samples(data, map_path, option('--time')), classify, int(option('--top', 0)), option('--stage'), '--leaves' in sys.argv)


if __name__ == '__main__':
    main()
