// A real proxyless gRPC client (@grpc/grpc-js-xds) for the console tests: it resolves xds:///<service> through the
// xDS server (bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG) and calls it continuously, printing which backend answered
// each call (or the error) as one line of JSON, so the test can see where its traffic goes.
import grpcJs from '@grpc/grpc-js';
import xds from '@grpc/grpc-js-xds';

xds.register();
const grpc = grpcJs;
const target = process.argv[2];
const client = new grpc.Client(target, grpc.credentials.createInsecure());
const identity = buffer => buffer;

function call() {
  return new Promise(resolve =>
    client.makeUnaryRequest('/mesh.Echo/Who', identity, identity, Buffer.alloc(0), { deadline: Date.now() + 5000 }, (error, reply) =>
      resolve(error ? { error: grpc.status[error.code] } : { backend: reply.toString() })));
}

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
for (;;) {
  console.log(JSON.stringify(await call()));
  await new Promise(resolve => setTimeout(resolve, 50));
}
