#!/usr/bin/env python3
"""A steady change's perf samples by direction, and what the allocator's page work costs (docs/benchmarks.md, issue13bk).

usage: steady.py PERF.DATA PERF-MAP [--inclusive TEXT ...]

PERF.DATA is a `perf record -g` of one server over its steady changes (the fleet's --profile-steady), PERF-MAP its
/tmp/perf-<pid>.map, as for stages.py, whose reading of a recording and stages this uses.

Two splits stages.py does not make:
- **By direction.** A sample whose stack holds a frame of receiving (the socket's receive, Kestrel's frame loop and
  its copies, gRPC's read, Mesh's node read and request handling) is the ACK's; one that holds a frame of sending
  (Mesh's shared encoding's copy, gRPC's write, Kestrel's frame writer and output, the socket's send) is the push's;
  the innermost such frame decides. What lies only above the write (the stream's loop, the gate, the session's choice
  of what to send) is Mesh's push logic. The GC, the JIT, the thread pool's idle workers, the metrics scrapes, the
  snapshot builds and Kestrel's heartbeat thread are their own rows. The raw server's recording splits the same way,
  so the two are comparable row by row.
- **The allocator's page work.** Samples in the libc memset the runtime's allocator clears new memory with, or in a
  page fault (the kernel mapping and zeroing a fresh page, which that memset or a first write touches), by the first
  named frame above them: what allocated. perf loses the allocating method itself when the allocation helper has no
  frame pointer, so the frame named is often its caller's caller (e.g. Pipe.AdvanceReader for a block's return).

`--inclusive TEXT ...` (issue13bm) adds the share of the samples with any frame whose name contains each TEXT, e.g.
`--inclusive WindowUpdate InputFlowControl` for the server's HTTP/2 WINDOW_UPDATEs (writing them, and the flow
control that decides them).
"""
import collections
import re
import sys

import stages

RECEIVE = ['SocketConnection+<DoReceive', 'SocketConnection::DoReceive', 'ProcessRequestsAsync', 'CopyPipeAsync',
           'HttpContextStreamReader', 'ReadStreamMessageAsync', 'Http2MessageBody', 'NodeSlicingMarshaller',
           'OnRequestAsync', 'HandleRequestAsync', 'tcp_recvmsg', '__x64_sys_recvfrom', 'sock_recvmsg']
SEND = ['SocketConnection+<DoSend', 'SocketConnection::DoSend', 'Http2FrameWriter', 'Http2OutputProducer',
        'WriteStreamedMessageAsync', 'HttpContextStreamWriter', 'SotwEncoding::WriteTo', 'SharedDeltaResponses',
        'WriteCoreAsync', 'tcp_sendmsg', '__x64_sys_sendmsg', '__x64_sys_sendto', 'sock_sendmsg']
PUSH_LOGIC = ['OnSnapshotAsync', 'PushThroughGateAsync', 'HandleSnapshotAsync', 'SendIfChangedAsync', 'PushGate',
              'SemaphoreSlim', 'StreamPump', 'LatestSnapshot']


def direction(comm, frames):
    stage, _ = stages.classify(comm, frames)
    if stage.startswith(('GC', 'JIT')):
        return stage
    if 'spinning' in stage or 'blocking' in stage or 'waking' in stage:
        return 'thread pool: idle workers'
    if stage.startswith(('metrics', 'translation', 'EF Core')):
        return stage
    if 'Kestrel Timer' in comm:
        return 'Kestrel\'s heartbeat thread'
    for name, _ in frames:
        if any(p in name for p in RECEIVE):
            return 'receive (the ACK, and the client\'s WINDOW_UPDATEs)'
        if any(p in name for p in SEND):
            return 'send (the push)'
        if any(p in name for p in PUSH_LOGIC):
            return 'Mesh\'s push logic above the write (loop, gate, session)'
    return 'other: ' + stage


def allocator(frames):
    """The allocating frame of a sample in the allocator's memset or a page fault; None for any other sample."""
    names = [re.sub(r'\(.*', '', n) for n, _ in frames]
    if not any('memset' in n or 'exc_page_fault' in n for n in names):
        return None
    named = [n for n in names if ('::' in n or n.startswith('[')) and 'unknown' not in n]
    return named[0][-110:] if named else '(no managed frame)'


def main():
    data, map_path = sys.argv[1], sys.argv[2]
    inclusive = sys.argv[sys.argv.index('--inclusive') + 1:] if '--inclusive' in sys.argv else []
    directions, allocating, holding = collections.Counter(), collections.Counter(), collections.Counter()
    total = 0
    for comm, frames in stages.samples(data, map_path):
        total += 1
        for text in inclusive:
            if any(text in name for name, _ in frames):
                holding[text] += 1
        directions[direction(comm, frames)] += 1
        at = allocator(frames)
        if at is not None:
            allocating[at] += 1
    print(f'{total} samples, by direction')
    for row, n in directions.most_common():
        print(f'{100.0 * n / max(total, 1):5.1f}%  {n:6d}  {row}')
    page_work = sum(allocating.values())
    print(f'\n{page_work} samples ({100.0 * page_work / max(total, 1):.1f}%) in the allocator\'s memset or a page fault, by the first named frame above')
    for row, n in allocating.most_common(15):
        print(f'{100.0 * n / max(total, 1):5.1f}%  {n:6d}  {row}')
    if inclusive:
        print('\nsamples with a frame whose name contains')
        for text in inclusive:
            print(f'{100.0 * holding[text] / max(total, 1):5.2f}%  {holding[text]:6d}  {text}')


if __name__ == '__main__':
    main()
