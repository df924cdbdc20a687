"""An xDS-enabled gRPC server (gRFC A36) with Debian's python3-grpcio (gRPC C-core), driven by a test.

Usage: GRPC_XDS_BOOTSTRAP=<file> python3 xds_server.py IP:PORT NAME
It binds IP:PORT in xDS mode: C-core serves only once the control plane sent the Listener its bootstrap's
server_listener_resource_name_template names (Python shows no serving status, so the test waits for calls to
succeed). It prints "ready" once started, answers CSDS's FetchClientStatus with NAME as the response bytes, and
exits on "quit".
"""
import sys
from concurrent import futures

import grpc


def main():
    address, name = sys.argv[1], sys.argv[2]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), xds=True)
    fetch = grpc.unary_unary_rpc_method_handler(lambda request, context: name.encode("latin-1"))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "envoy.service.status.v3.ClientStatusDiscoveryService", {"FetchClientStatus": fetch}),))
    # xDS credentials (gRFC A29): TLS where the Listener's filter chain asks for it, plaintext elsewhere.
    server.add_secure_port(address, grpc.xds_server_credentials(grpc.insecure_server_credentials()))
    server.start()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "quit":
            break
    server.stop(None)


if __name__ == "__main__":
    main()
