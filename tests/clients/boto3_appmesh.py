"""Runs App Mesh (or Cloud Map) calls through boto3 and prints what it returned, so that a test can check it.

Usage: python3 boto3_appmesh.py <endpoint-url> [servicediscovery] < plan.json
Cloud Map's DiscoverInstances goes to a "data-" host in AWS; against a custom endpoint the client is told not to
add it (inject_host_prefix=False), as docs/cloud-map.md tells users.
  plan.json: [{"operation": "CreateMesh", "input": {...}}, ...]

Parameter validation is off (botocore's parameter_validation=False), so out-of-range values reach the
server, which must refuse them itself. Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
Prints one JSON array with, for each call, {"ok": true, "status": ..., "output": ...} or
{"ok": false, "code": ..., "status": ..., "message": ..., "modeled": <error is the client's own exception class>}.
"""

import datetime
import json
import sys

import boto3
import botocore.config
import botocore.exceptions
from botocore import xform_name


def main() -> int:
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["servicediscovery"]):
        print(__doc__, file=sys.stderr)
        return 2
    plan = json.load(sys.stdin)
    client = boto3.session.Session().client(
        sys.argv[2] if len(sys.argv) == 3 else "appmesh",
        endpoint_url=sys.argv[1],
        region_name="us-east-1",
        config=botocore.config.Config(
            parameter_validation=False, retries={"total_max_attempts": 1}, inject_host_prefix=False),
    )
    results = []
    for call in plan:
        method = getattr(client, xform_name(call["operation"]))
        try:
            output = method(**call.get("input", {}))
            metadata = output.pop("ResponseMetadata", {})
            results.append({"ok": True, "status": metadata.get("HTTPStatusCode"), "output": output})
        except botocore.exceptions.ClientError as error:
            code = error.response["Error"]["Code"]
            modeled = getattr(client.exceptions, code, None)
            results.append({
                "ok": False,
                "code": code,
                "status": error.response["ResponseMetadata"].get("HTTPStatusCode"),
                "message": error.response["Error"].get("Message", ""),
                "modeled": modeled is not None and isinstance(error, modeled),
            })
    json.dump(results, sys.stdout, default=_json_default)
    return 0


def _json_default(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    raise TypeError(f"cannot print {type(value).__name__}")


if __name__ == "__main__":
    sys.exit(main())
