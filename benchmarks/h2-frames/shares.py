#!/usr/bin/env python3
"""Shares of a `perf record -g` of the xDS server: for each pattern, the samples with a frame whose name contains it
(inclusive), and the samples whose innermost frame does (self). Run the server with DOTNET_PerfMapEnabled=1 and
DOTNET_EnableWriteXorExecute=0 so perf names JIT'd frames from /tmp/perf-<pid>.map itself (with W^X on, see
benchmarks/perf-stages). Used by issue13bd (docs/benchmarks.md) to compare Kestrel's per-frame and per-block work
with 16 KB and 64 KB DATA frames.

  shares.py phase1-16384.data phase2-65536.data
"""

import subprocess
import sys

# What each row counts: a frame whose symbol contains any of the strings (method names as the perf map writes them).
ROWS = [
    ("a frame's dispatch (Http2Connection.ProcessFrameAsync)", ["Http2Connection::ProcessFrameAsync("]),
    ("a DATA frame into the stream's pipe (Http2Stream.OnDataAsync)", ["Http2Stream::OnDataAsync("]),
    ("reading a frame header (Http2FrameReader.TryReadFrame)", ["Http2FrameReader::TryReadFrame("]),
    ("the stream's pipe read by gRPC (Http2MessageBody.ReadAsync)", ["Http2MessageBody+<ReadAsync>"]),
    ("transport pipe into the connection's (Http2Connection.CopyPipeAsync)", ["Http2Connection+<CopyPipeAsync>"]),
    ("the socket's receive (SocketConnection.DoReceive)", ["SocketConnection+<DoReceive>"]),
    ("Pipe.AdvanceReader", ["Pipe::AdvanceReader("]),
    ("Pipe.Advance (a write's commit)", ["Pipe::Advance("]),
    ("Pipe.AllocateWriteHeadSynchronized (a new block)", ["Pipe::AllocateWriteHeadSynchronized("]),
    ("Pipe.FlushAsync (wakes the reader)", ["Pipe::FlushAsync(", "DefaultPipeWriter::FlushAsync("]),
    ("PinnedBlockMemoryPool.Rent / Return", ["PinnedBlockMemoryPool::Rent(", "PinnedBlockMemoryPool::Return("]),
    ("Mesh's node-slicing marshaller (NodeSlicingMarshaller, NodeWire, SequenceNodeField)", ["NodeSlicingMarshaller::", "NodeWire::", "SequenceNodeField::"]),
    ("memmove (any copy in user space)", ["Buffer::Memmove", "__memmove", "memmove"]),
    ("the kernel's copy to user space", ["_copy_to_iter", "copy_user_enhanced", "copy_user_generic", "rep_movs_alternative"]),
    ("thread-pool workers waiting (LowLevelLifoSemaphore.Wait, spinning)", ["LowLevelLifoSemaphore::Wait(", "LowLevelSpinWaiter::Wait("]),
    ("the JIT (libclrjit)", ["libclrjit"]),
]


def samples(path):
    out = subprocess.run(["perf", "script", "-i", path, "-F", "comm,ip,sym,dso"], capture_output=True, text=True, check=False).stdout
    stack = []
    for line in out.splitlines():
        if not line.strip():
            if stack:
                yield stack
            stack = []
        elif line[0] not in " \t":
            stack = []  # the sample's header line (the thread's name)
        else:
            stack.append(line.strip())
    if stack:
        yield stack


def main():
    paths = sys.argv[1:]
    counts = []
    for path in paths:
        total, inclusive, leaf = 0, [0] * len(ROWS), [0] * len(ROWS)
        for stack in samples(path):
            total += 1
            for i, (_, patterns) in enumerate(ROWS):
                if any(p in frame for frame in stack for p in patterns):
                    inclusive[i] += 1
                if any(p in stack[0] for p in patterns):
                    leaf[i] += 1
        counts.append((total, inclusive, leaf))
    print("| in the stack (inclusive; self in brackets) | " + " | ".join(f"{p.rsplit('/', 1)[-1]} ({c[0]} samples)" for p, c in zip(paths, counts)) + " |")
    print("|---|" + "---|" * len(paths))
    for i, (name, _) in enumerate(ROWS):
        cells = [f"{100 * c[1][i] / max(c[0], 1):.1f}% ({100 * c[2][i] / max(c[0], 1):.1f}%)" for c in counts]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
