// An xDS-enabled gRPC server (gRFC A36) with @grpc/grpc-js-xds, driven by a test over stdin/stdout.
// Usage: GRPC_XDS_BOOTSTRAP=<file> node xds_server.js IP:PORT NAME
// It binds IP:PORT, which it serves only once the control plane sent the Listener its bootstrap's
// server_listener_resource_name_template names; it prints "ready" at once and "serving" then. It answers CSDS's
// FetchClientStatus with NAME as the response bytes (the clients look for "backend-N" in them); "quit" exits.
const xds = require('@grpc/grpc-js-xds');
xds.register(); // sets up the HTTP filters (the router among them) the Listener's validation looks up
const { XdsServer } = xds;
const grpc = require('@grpc/grpc-js');
const readline = require('readline');

const [address, name] = process.argv.slice(2);
const server = new XdsServer();
server.register('/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus',
  (call, callback) => callback(null, Buffer.from(name, 'latin1')), b => b, b => b, 'unary');
// xDS credentials (gRFC A29): TLS where the Listener's filter chain asks for it, plaintext elsewhere.
server.bindAsync(address, new xds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()), (err) => {
  if (err) {
    console.log('error ' + err.message);
    return;
  }
  console.log('serving');
});
console.log('ready');
readline.createInterface({ input: process.stdin }).on('line', line => {
  if (line.trim() === 'quit') {
    server.forceShutdown();
    process.exit(0);
  }
});
