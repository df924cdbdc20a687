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
RealisticNode.cs: 390 extensions, ~49 KB), encoded here by hand (no protobuf package needed). With no database the
server has no configuration for the node, so it reads, identifies and compares each request and answers none:
what is measured is the receive path (Kestrel, gRPC, the node-slicing marshaller, the session's bookkeeping).

  replay.py --target 127.0.0.1:29400 --admin http://127.0.0.1:29401 --pid <server pid> \
            --connections 200 --warmup 20 --messages 40 --plan 16384,65536,16384,65536
"""

import argparse
import asyncio
import datetime
import os
import struct
import subprocess
import sys
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


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def value_string(text):  # google.protobuf.Value{string_value}
    return field_str(3, text)


def value_struct(struct_bytes):  # google.protobuf.Value{struct_value}
    return field_bytes(5, struct_bytes)


def struct_of(pairs):  # google.protobuf.Struct{fields: map<string, Value>} in insertion order, as Google.Protobuf writes it
    return b"".join(field_bytes(1, field_str(1, k) + field_bytes(2, v)) for k, v in pairs)


CATEGORIES = [
    ("envoy.filters.http", "filters.http", 62), ("envoy.filters.network", "filters.network", 28),
    ("envoy.filters.listener", "filters.listener", 6), ("envoy.filters.udp_listener", "filters.udp", 3),
    ("envoy.transport_sockets.upstream", "transport_sockets", 12), ("envoy.transport_sockets.downstream", "transport_sockets", 10),
    ("envoy.clusters", "clusters", 14), ("envoy.access_loggers", "access_loggers", 10), ("envoy.tracers", "tracers", 9),
    ("envoy.stats_sinks", "stat_sinks", 9), ("envoy.retry_host_predicates", "retry.host", 4), ("envoy.retry_priorities", "retry.priority", 2),
    ("envoy.health_checkers", "health_checkers", 6), ("envoy.resolvers", "network.socket_interface", 3),
    ("envoy.matching.input_matchers", "matching.input_matchers", 8), ("envoy.matching.http.input", "matching.common_inputs", 16),
    ("envoy.matching.network.input", "matching.common_inputs.network", 14), ("envoy.upstreams", "upstreams.http", 8),
    ("envoy.compression.compressor", "compression", 4), ("envoy.compression.decompressor", "compression", 4),
    ("envoy.rate_limit_descriptors", "rate_limit_descriptors", 2), ("envoy.formatter", "formatter", 6),
    ("envoy.bootstrap", "bootstrap", 8), ("envoy.quic.proof_source", "quic.proof_source", 2),
    ("envoy.http.stateful_header_formatters", "http.header_formatters", 2), ("envoy.tls.cert_validator", "transport_sockets.tls.cert_validator", 3),
    ("envoy.network.dns_resolver", "network.dns_resolver", 4), ("envoy.load_balancing_policies", "load_balancing_policies", 12),
    ("envoy.config.validators", "config.validators", 2), ("envoy.http.early_header_mutation", "http.early_header_mutation", 2),
    ("envoy.path.match", "path.match", 2), ("envoy.path.rewrite", "path.rewrite", 2), ("envoy.grpc_credentials", "grpc_credentials", 4),
    ("envoy.guarddog_actions", "watchdog", 3), ("envoy.request_id", "request_id", 2), ("envoy.udp_packet_writer", "udp_packet_writer", 2),
    ("envoy.upstream_options", "upstreams.http", 4), ("envoy.connection_handler", "connection_handler", 1),
    ("network.connection.client", "network.connection", 2), ("envoy.wasm.runtime", "wasm.runtime", 4),
    ("envoy.rbac.matchers", "rbac.matchers", 3), ("envoy.http.original_ip_detection", "http.original_ip_detection", 3),
    ("envoy.common.key_value", "key_value", 2), ("envoy.regex_engines", "regex_engines", 2),
    ("envoy.http.header_validators", "http.header_validators", 2), ("envoy.dubbo_proxy.filters", "filters.network.dubbo_proxy", 4),
    ("envoy.thrift_proxy.filters", "filters.network.thrift_proxy", 5), ("envoy.redis_proxy.filters", "filters.network.redis_proxy", 3),
    ("envoy.quic.server.crypto_stream", "quic.crypto_stream", 2), ("envoy.quic.connection_id_generator", "quic.connection_id_generator", 2),
    ("envoy.http.stateful_session", "http.stateful_session", 3), ("envoy.http.custom_response", "http.custom_response", 3),
    ("envoy.route.early_data_policy", "early_data", 1), ("envoy.router.cluster_specifier_plugin", "router.cluster_specifiers", 2),
    ("envoy.listener_manager_impl", "listener_managers", 3), ("envoy.upstream.local_address_selector", "local_address_selectors", 1),
    ("envoy.filters.http.upstream", "filters.http.upstream", 5), ("envoy.config_mux", "config_mux", 4),
    ("envoy.dubbo_proxy.route_matchers", "filters.network.dubbo_proxy.router", 1), ("envoy.thrift_proxy.protocols", "filters.network.thrift_proxy.protocols", 5),
]

STEMS = [
    "router", "buffer", "cors", "fault", "gzip", "jwt_authn", "lua", "ratelimit", "rbac", "tap", "wasm", "csrf",
    "header_to_metadata", "ip_tagging", "health_check", "grpc_web", "grpc_stats", "ext_authz", "ext_proc", "oauth2",
    "compressor", "decompressor", "dynamic_forward_proxy", "original_src", "tls_inspector", "http_inspector",
    "proxy_protocol", "tcp_proxy", "http_connection_manager", "mongo_proxy", "mysql_proxy", "postgres_proxy",
    "zookeeper_proxy", "local_ratelimit", "connection_limit", "sni_cluster", "file", "stream", "open_telemetry",
    "zipkin", "datadog", "xray", "statsd", "dog_statsd", "metrics_service", "previous_hosts", "omit_canary_hosts",
    "round_robin", "least_request", "ring_hash", "maglev", "random", "cluster_provided", "subset", "client_side_weighted_round_robin",
    "header", "query_parameter", "destination_ip", "source_port", "server_name", "transport_protocol", "application_protocol",
    "cel", "ip", "consistent_hashing", "runtime_fraction", "metadata", "filter_state", "uuid", "cares", "getaddrinfo", "apple",
]

CLIENT_FEATURES = ["envoy.config.require-any-fields-contain-struct", "envoy.lb.does_not_support_overprovisioning",
                   "envoy.lrs.supports_send_all_clusters", "xds.config.supports-resource-ttl", "xds.config.resource-in-sotw",
                   "envoy.restart_features.use_eds_cache_for_ads"]


def realistic_node(node_id, cluster, extensions=390):
    """envoy.config.core.v3.Node as the fleet's RealisticNode.Build(node_id, cluster) makes it (fields in number order)."""
    build_metadata = struct_of([("revision.sha", value_string("5a0d3e7c91b04f2f6a1c8d5e9b7a3f20c4e6d8b1")),
                                ("revision.status", value_string("Clean")), ("build.type", value_string("RELEASE")),
                                ("ssl.version", value_string("BoringSSL"))])
    semver = field_varint(1, 1) + field_varint(2, 32) + field_varint(3, 3)
    pod = f"{cluster}-7d9f8c6b5-x2k4p"
    k8s = struct_of([("namespace", value_string("fleet")), ("podName", value_string(pod))])
    metadata = struct_of([("aws.appmesh.platformInfo", value_struct(struct_of([("k8sPlatformInfo", value_struct(k8s))]))),
                          ("aws.appmesh.task.interfaces", value_string('{"ipv4":{"eth0":["10.0.12.34/24"]}}'))])
    exts = []
    added, rnd = 0, 0
    while added < extensions:
        for category, package, count in CATEGORIES:
            i = 0
            while i < count and added < extensions:
                stem = STEMS[(i * 7 + rnd * 13 + len(category)) % len(STEMS)]
                name = f"{category}.{stem}" if rnd == 0 else f"{category}.{stem}_{rnd}"
                message = "".join(w[0].upper() + w[1:] for w in stem.split("_"))
                exts.append(field_bytes(9, field_str(1, name) + field_str(2, category)
                                        + field_str(6, f"envoy.extensions.{package}.{stem}.v3.{message}")))
                added += 1
                i += 1
        rnd += 1
    return (field_str(1, node_id) + field_str(2, cluster) + field_bytes(3, metadata)
            + field_bytes(4, field_str(1, "us-west-2") + field_str(2, "us-west-2a"))
            + field_str(6, "envoy") + field_bytes(8, field_bytes(1, semver) + field_bytes(2, build_metadata))
            + b"".join(exts) + b"".join(field_str(10, f) for f in CLIENT_FEATURES))


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
        """The server has read every request: the stream's window is whole again."""
        await self.wait(lambda: self.stream_window >= self.initial_stream_window)

    def close(self):
        self.task.cancel()
        self.writer.close()


# --- the server's own figures -----------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


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
    p.add_argument("--pid", type=int, required=True, help="the server's process id (its CPU is read from /proc)")
    p.add_argument("--connections", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20, help="requests per stream before the measured phases")
    p.add_argument("--messages", type=int, default=40, help="requests per stream in each measured phase")
    p.add_argument("--plan", default="16384,65536,16384,65536", help="frame sizes of the measured phases, in order")
    p.add_argument("--node-id", default="mesh/fleet/virtualNode/client-0")
    p.add_argument("--perf-dir", help="record perf -g of the server in each measured phase into this folder")
    p.add_argument("--perf-frequency", type=int, default=999, help="samples a second per CPU for --perf-dir")
    a = p.parse_args()

    host, port = a.target.rsplit(":", 1)
    node = realistic_node(a.node_id, a.node_id.rsplit("/", 1)[1])
    first = discovery_request(node)
    ack = discovery_request(node, version="1", nonce="1")
    plan = [int(x) for x in a.plan.split(",")]
    print(f"node {len(node)} B, request {len(ack)} B on the wire (gRPC frame included); "
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

    print("| phase | UTC, load | frame limit | frames per request | requests | server CPU per request | allocated per request | thread-pool work items per request | GCs (0/1/2) | wall |")
    print("|---|---|---|---|---|---|---|---|---|---|")
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
        m0, c0, t0 = metrics(a.admin), cpu_seconds(a.pid), time.monotonic()
        await phase(conns, ack, size, a.messages)
        c1, t1 = cpu_seconds(a.pid), time.monotonic()
        await asyncio.sleep(1.5)
        m1 = metrics(a.admin)
        if perf:
            perf.send_signal(2)
            perf.wait()
        requests = a.messages * len(conns)
        frames = -(-len(ack) // size)
        d = {k: m1[k] - m0[k] for k in m0}
        print(f"| {n} | {at}, {load} | {size} | {frames} | {requests} | {(c1 - c0) / requests * 1e6:.1f} µs | "
              f"{d['dotnet_gc_heap_total_allocated_bytes_total'] / requests:,.0f} B | "
              f"{d['dotnet_thread_pool_work_item_number_total'] / requests:.2f} | "
              f"{d['gen0']:.0f}/{d['gen1']:.0f}/{d['gen2']:.0f} | {t1 - t0:.1f} s |", flush=True)

    for c in conns:
        c.close()


if __name__ == "__main__":
    asyncio.run(main())
