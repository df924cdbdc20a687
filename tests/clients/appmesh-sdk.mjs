// Runs App Mesh calls through the real AWS SDK for JavaScript v3 (@aws-sdk/client-app-mesh), or Cloud Map calls
// through @aws-sdk/client-servicediscovery, and prints what the SDK returned, so that a test can check it. It never
// asserts anything itself.
//
// Usage: node appmesh-sdk.mjs <endpoint-url> [servicediscovery] < plan.json
// Cloud Map's DiscoverInstances goes to a "data-" host in AWS; against a custom endpoint the client is told not to
// add it (disableHostPrefix), as docs/cloud-map.md tells users.
//   plan.json: [{"operation": "CreateMesh", "input": {...}}, ...]
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; the region is us-east-1.
// Prints one JSON array with, for each call in order, either
//   {"ok": true, "status": <http status>, "output": <the SDK's output without $metadata>}
// or
//   {"ok": false, "name": <error name>, "status": <http status>, "message": <message>,
//    "fault": "client"|"server", "modeled": <true when the error is the SDK's own App Mesh exception class>}
// Timestamps in outputs are Date objects in the SDK, printed as ISO 8601 strings.
const endpoint = process.argv[2];
const service = process.argv[3] ?? "appmesh";
if (!endpoint || !["appmesh", "servicediscovery"].includes(service)) {
  console.error("usage: node appmesh-sdk.mjs <endpoint-url> [servicediscovery] < plan.json");
  process.exit(2);
}

const sdk = service === "appmesh"
  ? await import("@aws-sdk/client-app-mesh")
  : await import("@aws-sdk/client-servicediscovery");
const ClientClass = service === "appmesh" ? sdk.AppMeshClient : sdk.ServiceDiscoveryClient;
const ServiceException = service === "appmesh" ? sdk.AppMeshServiceException : sdk.ServiceDiscoveryServiceException;

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const plan = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const client = new ClientClass({
  endpoint,
  region: "us-east-1",
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  },
  // One attempt: a 5xx or a throttle must show up as what it is, not be retried away.
  maxAttempts: 1,
  disableHostPrefix: true,
});

const results = [];
for (const call of plan) {
  const Command = sdk[`${call.operation}Command`];
  if (typeof Command !== "function") {
    results.push({ ok: false, name: "UnknownCommand", message: `no ${call.operation}Command in the SDK` });
    continue;
  }
  try {
    const { $metadata, ...output } = await client.send(new Command(call.input ?? {}));
    results.push({ ok: true, status: $metadata.httpStatusCode, output, outputTypes: describeTypes(output) });
  } catch (error) {
    const modeledClass = sdk[error.name];
    results.push({
      ok: false,
      name: error.name,
      status: error.$metadata?.httpStatusCode,
      message: error.message,
      fault: error.$fault,
      modeled: typeof modeledClass === "function"
        && error instanceof modeledClass
        && error instanceof ServiceException,
    });
  }
}

process.stdout.write(JSON.stringify(results));

// The JavaScript type of each timestamp field the SDK produced ("Date" when it parsed one).
function describeTypes(value, path = "", out = {}) {
  if (value instanceof Date) {
    out[path] = Number.isNaN(value.getTime()) ? "InvalidDate" : "Date";
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => describeTypes(item, `${path}[${i}]`, out));
  } else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) describeTypes(item, path ? `${path}.${key}` : key, out);
  }
  return out;
}
