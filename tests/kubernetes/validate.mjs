// Reads Kubernetes objects as YAML (one or more documents) from stdin and validates each against the Kubernetes
// OpenAPI schema of its apiVersion and kind, with the models of the pinned `kubernetes-models` package. Prints one
// line per object; exits 1 if any object is invalid or of a kind the package does not know (never passes it silently).
import { parseAllDocuments } from "yaml";

const text = await new Promise((resolve, reject) => {
  let data = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (data += chunk));
  process.stdin.on("end", () => resolve(data));
  process.stdin.on("error", reject);
});

// "apps/v1" -> kubernetes-models/apps/v1; the core group ("v1") -> kubernetes-models/v1.
async function modelFor(apiVersion, kind) {
  let module;
  try {
    module = await import(`kubernetes-models/${apiVersion}`);
  } catch {
    return undefined;
  }
  return module[kind];
}

let failures = 0;
let count = 0;
for (const document of parseAllDocuments(text)) {
  if (document.errors.length > 0) {
    console.log(`INVALID YAML: ${document.errors.map((e) => e.message).join("; ")}`);
    failures++;
    continue;
  }
  const object = document.toJS();
  if (object === null || object === undefined) continue;
  // Newer kustomize folds long base64 Secret values over several lines. The API server decodes `data` with Go's
  // base64 decoder, which skips line breaks, so they are valid there; the schema's "byte" format is not that lenient.
  if (object.kind === "Secret" && object.data) {
    for (const key of Object.keys(object.data)) object.data[key] = String(object.data[key]).replace(/\s+/g, "");
  }
  count++;
  const label = `${object.apiVersion}/${object.kind} ${object.metadata?.namespace ?? "-"}/${object.metadata?.name ?? "?"}`;
  const Model = await modelFor(object.apiVersion, object.kind);
  if (typeof Model !== "function") {
    console.log(`UNKNOWN ${label}: no schema for this apiVersion and kind`);
    failures++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`valid ${label}`);
  } catch (error) {
    console.log(`INVALID ${label}: ${error.message}`);
    failures++;
  }
}
console.log(`${count} objects, ${failures} invalid`);
process.exit(failures > 0 || count === 0 ? 1 : 0);
