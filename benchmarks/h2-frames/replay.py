#!/usr/bin/env python3
"""Sends an Envoy-sized ADS request stream to an xDS server in HTTP/2 DATA frames of a chosen size, and reports the
server's CPU, allocations and thread-pool work per request received (issue13bd, docs/benchmarks.md).

Why a client of its own: the fleet's simulated Envoys (.NET SocketsHttpHandler) never send a DATA frame larger than
16,384 bytes, whatever the server advertises, so they cannot show what larger frames cost the server. This client
speaks just enough HTTP/2 (h2c) to hold one ADS stream per connection and write each request in frames of at most
the phase's size (--plan), the way a codec that honours the server's SETTINGS_MAX_FRAME_SIZE would (oghttp2: one frame of
min(windows, peer's max frame size) at a time). Like an Envoy, each stream sends its next request only once the
server has read the previous one (its stream window is back), so every request goes out whole, in
ceil(size / frame) frames written together.

The request is a SotW DiscoveryRequest for clusters with the fleet's realistic node (benchmarks/Mesh.Fleet/
RealisticNode.cs: 390 extensions, ~49 KB). The node is not built here: it is read from the file the fleet writes
(Mesh.Fleet --write-node FILE: the node's bytes exactly as the fleet sends them), so the two cannot drift apart; the
request around it is encoded here by hand (no protobuf package needed). With no database the server has no
configuration for the node, so it reads, identifies and compares each request and answers none: what is measured is
the receive path (Kestrel, gRPC, the node-slicing marshaller, the session's bookkeeping).

  dotnet run -c Release --project benchmarks/Mesh.Fleet -- --write-node /tmp/fleet-node.bin
  replay.py --node /tmp/fleet-node.bin --target 127.0.0.1:29400 --admin http://127.0.0.1:29401 --pid <server pid> \
            --connections 200 --warmup 20 --messages 40 --plan 16384,65536,16384,65536
"""

import argparse
import asyncio
import datetime
import os
import struct
import subprocess
import time
import urllib.request

# --- protobuf, by hand ------------------------------------------------------------------------------------------


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(number, payload):
    return varint((number << 3) | 2) + varint(len(payload)) + payload


def field_str(number, text):
    return field_bytes(number, text.encode())


def read_varint(data, at):
    value, shift = 0, 0
    while True:
        b = data[at]
        at += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, at


def node_id(node):
    """The node's id (envoy.config.core.v3.Node field 1), which Google.Protobuf writes first."""
    tag, at = read_varint(node, 0)
    if tag != (1 << 3) | 2:
        raise ValueError("the node file does not start with a node id: is it Mesh.Fleet --write-node's?")
    length, at = read_varint(node, at)
    return node[at:at + length].decode()


CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster"


def discovery_request(node, version="", nonce=""):
    """DiscoveryRequest{version_info=1, node=2, type_url=4, response_nonce=5} framed as one gRPC message."""
    body = (field_str(1, version) if version else b"") + field_bytes(2, node) + field_str(4, CDS) + (field_str(5, nonce) if nonce else b"")
    return b"\x00" + struct.pack(">I", len(body)) + body


# --- HTTP/2, just enough ----------------------------------------------------------------------------------------

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
STREAM = 1


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_literal(name, value):  # literal header field without indexing, new name, no Huffman
    n, v = name.encode(), value.encode()
    assert len(n) < 127 and len(v) < 127
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


class AdsConnection:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.conn_window = 65535
        self.stream_window = 65535
        self.initial_stream_window = 65535
        self.max_frame = 16384
        self.changed = asyncio.Event()
        self.failure = None
        # WINDOW_UPDATE frames the server sent, on the connection and on the stream (issue13bm: what the receive
        # windows cost per request).
        self.window_updates = [0, 0]

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        settings = struct.pack(">HI", 2, 0) + struct.pack(">HI", 4, 1 << 20)  # no push; a 1 MiB window for answers
        headers = b"".join(hpack_literal(k, v) for k, v in [
            (":method", "POST"), (":scheme", "http"),
            (":path", "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"),
            (":authority", f"{self.host}:{self.port}"), ("content-type", "application/grpc"), ("te", "trailers")])
        self.writer.write(PREFACE + frame(SETTINGS, 0, 0, settings) + frame(HEADERS, 0x4, STREAM, headers))
        await self.writer.drain()
        self.task = asyncio.create_task(self.read_loop())
        await self.wait(lambda: self.settings_seen)

    settings_seen = False

    async def read_loop(self):
        try:
            while True:
                head = await self.reader.readexactly(9)
                length = int.from_bytes(head[:3], "big")
                kind, flags = head[3], head[4]
                stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
                payload = await self.reader.readexactly(length) if length else b""
                if kind == SETTINGS and not flags & 1:
                    for i in range(0, len(payload), 6):
                        ident, value = struct.unpack(">HI", payload[i:i + 6])
                        if ident == 4:
                            self.stream_window += value - self.initial_stream_window
                            self.initial_stream_window = value
                        elif ident == 5:
                            self.max_frame = value
                    self.writer.write(frame(SETTINGS, 1, 0))
                    self.settings_seen = True
                elif kind == WINDOW_UPDATE:
                    increment = struct.unpack(">I", payload)[0] & 0x7FFFFFFF
                    if stream == 0:
                        self.conn_window += increment
                    else:
                        self.stream_window += increment
                    self.window_updates[stream != 0] += 1
                elif kind == PING and not flags & 1:
                    self.writer.write(frame(PING, 1, 0, payload))
                elif kind == DATA and length:
                    inc = struct.pack(">I", length)
                    self.writer.write(frame(WINDOW_UPDATE, 0, 0, inc) + frame(WINDOW_UPDATE, 0, stream, inc))
                elif kind in (GOAWAY, RST_STREAM) or (kind == HEADERS and flags & 1):
                    raise ConnectionError(f"server ended the stream: frame type {kind}, payload {payload[:64]!r}")
                self.changed.set()
        except Exception as e:  # noqa: BLE001 - any end of the connection is a failed run
            self.failure = e
            self.changed.set()

    async def wait(self, condition):
        while not condition():
            if self.failure:
                raise self.failure
            self.changed.clear()
            await self.changed.wait()

    async def send(self, message, frame_size):
        """Waits until the server has read what was sent before (both windows hold the whole request), then writes the
        request in frames of at most frame_size bytes, all in one write."""
        need = len(message)
        await self.wait(lambda: self.conn_window >= need and self.stream_window >= need)
        if frame_size > self.max_frame:
            raise ValueError(f"frame {frame_size} B is above the server's SETTINGS_MAX_FRAME_SIZE {self.max_frame}")
        self.writer.write(b"".join(frame(DATA, 0, STREAM, message[i:i + frame_size]) for i in range(0, need, frame_size)))
        self.conn_window -= need
        self.stream_window -= need
        await self.writer.drain()

    async def drained(self):
        """The server has read every request: Kestrel reopens a stream's window once half of it is read and not yet
        reopened, so when it has read everything more than half the window is open. With the xDS server's 64 KiB
        window that proves it (a request unread would leave less than 16 KiB); with a larger window a request may
        still be unread, and the phase's pause after the requests covers it."""
        await self.wait(lambda: self.stream_window > self.initial_stream_window // 2)

    def close(self):
        self.task.cancel()
        self.writer.close()


# --- the server's own figures -----------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


SYSCALLS = ["sendto", "sendmsg", "recvfrom", "recvmsg"]


def start_syscall_count(pid, out):
    """perf stat of the server's sending and receiving system calls (counts: the load does not scale them)."""
    events = ",".join(f"syscalls:sys_enter_{c}" for c in SYSCALLS)
    return subprocess.Popen(["perf", "stat", "-x", ",", "-e", events, "-p", str(pid), "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def syscall_counts(out):
    counts = {}
    with open(out) as f:
        for line in f:
            fields = line.strip().split(",")
            if len(fields) > 2 and fields[2].startswith("syscalls:sys_enter_"):
                counts[fields[2].removeprefix("syscalls:sys_enter_")] = float(fields[0]) if fields[0][:1].isdigit() else float("nan")
    return counts


def metrics(admin):
    wanted = {"dotnet_gc_heap_total_allocated_bytes_total": 0.0, "dotnet_thread_pool_work_item_number_total": 0.0,
              "gen0": 0.0, "gen1": 0.0, "gen2": 0.0}
    text = urllib.request.urlopen(f"{admin}/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        base = name.split("{", 1)[0]
        if base in wanted:
            wanted[base] += float(value)
        elif base == "dotnet_gc_collections_total":
            for g in ("gen0", "gen1", "gen2"):
                if f'"{g}"' in name:
                    wanted[g] += float(value)
    return wanted


async def phase(conns, message, frame_size, count):
    async def one(c):
        for _ in range(count):
            await c.send(message, frame_size)
        await c.drained()
    await asyncio.gather(*(one(c) for c in conns))


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", default="127.0.0.1:29400")
    p.add_argument("--admin", default="http://127.0.0.1:29401")
    p.add_argument("--node", required=True, help="the node to send: the file Mesh.Fleet --write-node FILE writes")
    p.add_argument("--write-request", metavar="FILE",
                   help="write the measured request (an ACK, gRPC message prefix included) to FILE as sent, and exit")
    p.add_argument("--pid", type=int, help="the server's process id (its CPU is read from /proc); needed for a run")
    p.add_argument("--connections", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20, help="requests per stream before the measured phases")
    p.add_argument("--messages", type=int, default=40, help="requests per stream in each measured phase")
    p.add_argument("--plan", default="16384,65536,16384,65536", help="frame sizes of the measured phases, in order")
    p.add_argument("--perf-dir", help="record perf -g of the server in each measured phase into this folder")
    p.add_argument("--perf-frequency", type=int, default=999, help="samples a second per CPU for --perf-dir")
    p.add_argument("--syscalls", metavar="DIR", help="count the server's send and receive system calls in each measured "
                   "phase (perf stat) into this folder, and print them per request")
    a = p.parse_args()

    with open(a.node, "rb") as f:
        node = f.read()
    first = discovery_request(node)
    ack = discovery_request(node, version="1", nonce="1")
    if a.write_request:
        with open(a.write_request, "wb") as f:
            f.write(ack)
        return
    if a.pid is None:
        p.error("--pid is needed for a run")

    host, port = a.target.rsplit(":", 1)
    plan = [int(x) for x in a.plan.split(",")]
    print(f"node {node_id(node)} from {a.node}: {len(node)} B, request {len(ack)} B on the wire (gRPC frame included); "
          f"{a.connections} connections, one ADS stream each")

    conns = [AdsConnection(host, int(port)) for _ in range(a.connections)]
    for i in range(0, len(conns), 50):
        await asyncio.gather(*(c.open() for c in conns[i:i + 50]))
    print(f"server settings: max frame {conns[0].max_frame} B, stream window {conns[0].initial_stream_window} B, "
          f"connection window {conns[0].conn_window} B")
    await asyncio.gather(*(c.send(first, 16384) for c in conns))
    await asyncio.gather(*(c.drained() for c in conns))
    await phase(conns, ack, 16384, a.warmup)
    await phase(conns, ack, max(plan), a.warmup)

    print("| phase | UTC, load | frame limit | frames per request | requests | server CPU per request | allocated per request | thread-pool work items per request | GCs (0/1/2) | wall | WINDOW_UPDATEs per request (connection / stream) | server sendto / sendmsg / recvfrom / recvmsg per request |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, size in enumerate(plan, 1):
        load = open("/proc/loadavg").read().split()[0]
        at = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S")
        perf = None
        if a.perf_dir:
            os.makedirs(a.perf_dir, exist_ok=True)
            perf = subprocess.Popen(["perf", "record", "-F", str(a.perf_frequency), "-g", "-p", str(a.pid), "-o",
                                     f"{a.perf_dir}/phase{n}-{size}.data"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        # The exporter serves a scrape from a cache for a moment: read it only after the server has been idle.
        await asyncio.sleep(1.5)
        stat = None
        if a.syscalls:
            os.makedirs(a.syscalls, exist_ok=True)
            stat_file = f"{a.syscalls}/phase{n}-{size}.stat"
            stat = start_syscall_count(a.pid, stat_file)
            time.sleep(1.0)
        updates0 = [sum(c.window_updates[i] for c in conns) for i in (0, 1)]
        m0, c0, t0 = metrics(a.admin), cpu_seconds(a.pid), time.monotonic()
        await phase(conns, ack, size, a.messages)
        c1, t1 = cpu_seconds(a.pid), time.monotonic()
        # The windows' last updates of the phase arrive once the server has read its last requests.
        await asyncio.sleep(1.5)
        updates = [sum(c.window_updates[i] for c in conns) - updates0[i] for i in (0, 1)]
        m1 = metrics(a.admin)
        calls = "not counted"
        if stat:
            stat.send_signal(2)
            stat.wait()
            counted = syscall_counts(stat_file)
            calls = " / ".join(f"{counted.get(c, float('nan')) / (a.messages * len(conns)):.2f}" for c in SYSCALLS)
        if perf:
            perf.send_signal(2)
            perf.wait()
        requests = a.messages * len(conns)
        frames = -(-len(ack) // size)
        d = {k: m1[k] - m0[k] for k in m0}
        print(f"| {n} | {at}, {load} | {size} | {frames} | {requests} | {(c1 - c0) / requests * 1e6:.1f} µs | "
              f"{d['dotnet_gc_heap_total_allocated_bytes_total'] / requests:,.0f} B | "
              f"{d['dotnet_thread_pool_work_item_number_total'] / requests:.2f} | "
              f"{d['gen0']:.0f}/{d['gen1']:.0f}/{d['gen2']:.0f} | {t1 - t0:.1f} s | "
              f"{updates[0] / requests:.2f} / {updates[1] / requests:.2f} | {calls} |", flush=True)

    for c in conns:
        c.close()


if __name__ == "__main__":
    asyncio.run(main())
