"""Proxyless gRPC over xDS with Debian's python3-grpcio (gRPC C-core), driven by a test over stdin/stdout.

Usage: GRPC_XDS_BOOTSTRAP=<file> python3 xds_client.py xds:///NAME
Reads lines: "call N [key=value ...]" makes N calls (with that metadata) and prints a JSON object {backend: count};
"quit" exits.
The method is CSDS's FetchClientStatus, which the test's backends answer with their own name as node.id,
so no generated code is needed here: the response bytes contain the name.
"""
import json
import re
import sys

import grpc
import grpc.experimental

METHOD = "/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus"


def main():
    # xDS credentials (gRFC A29): TLS where the cluster's transport_socket asks for it, plaintext elsewhere.
    credentials = grpc.xds_channel_credentials(grpc.experimental.insecure_channel_credentials())
    channel = grpc.secure_channel(sys.argv[1], credentials)
    call = channel.unary_unary(METHOD, request_serializer=None, response_deserializer=None)
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        metadata = [tuple(word.split("=", 1)) for word in words[2:]]
        seen = {}
        for _ in range(int(words[1])):
            try:
                reply = call(b"", timeout=10, metadata=metadata)
                found = re.search(rb"backend-\d+", reply)
                name = found.group(0).decode() if found else "unknown"
            except grpc.RpcError as error:
                name = "error:" + error.code().name
            seen[name] = seen.get(name, 0) + 1
        print(json.dumps(seen), flush=True)


if __name__ == "__main__":
    main()
