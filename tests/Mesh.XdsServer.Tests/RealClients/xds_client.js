// Proxyless gRPC over xDS with @grpc/grpc-js-xds, driven by a test over stdin/stdout (same protocol as xds_client.py).
const xds = require('@grpc/grpc-js-xds');
xds.register();
const grpc = require('@grpc/grpc-js');
const readline = require('readline');

const METHOD = '/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus';
// xDS credentials (gRFC A29): TLS where the cluster's transport_socket asks for it, plaintext elsewhere.
const client = new grpc.Client(process.argv[2], new xds.XdsChannelCredentials(grpc.credentials.createInsecure()));
const call = (metadata) => new Promise(resolve =>
  client.makeUnaryRequest(METHOD, b => b, b => b, Buffer.alloc(0), metadata, { deadline: Date.now() + 10000 }, (err, reply) => {
    if (err) return resolve('error:' + grpc.status[err.code]);
    const text = reply.toString('latin1');
    const found = text.match(/backend-\d+/);
    resolve(found ? found[0] : 'unknown');
  }));

const lines = readline.createInterface({ input: process.stdin });
console.log('ready');
(async () => {
  for await (const line of lines) {
    const words = line.trim().split(/\s+/);
    if (words[0] === 'quit' || words[0] === '') break;
    // "call N [key=value ...]": N calls carrying that metadata.
    const metadata = new grpc.Metadata();
    for (const word of words.slice(2)) {
      const at = word.indexOf('=');
      metadata.set(word.slice(0, at), word.slice(at + 1));
    }
    const seen = {};
    for (let i = 0; i < Number(words[1]); i++) {
      const name = await call(metadata);
      seen[name] = (seen[name] || 0) + 1;
    }
    console.log(JSON.stringify(seen));
  }
  process.exit(0);
})();
