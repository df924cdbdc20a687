using System.Text.Json.Nodes;
using Mesh.Bootstrap;

namespace Mesh.Api.OpenApi;

/// <summary>
/// The API host's endpoints outside App Mesh's <c>/v20190125</c> API: the Envoy bootstrap, health and metrics. None is
/// signed (each declares an empty <c>security</c>), and none answers App Mesh errors.
/// </summary>
public static class HostPaths
{
    public const string Tag = "Mesh host";

    public static IEnumerable<(string Path, JsonObject Item)> All()
    {
        yield return ("/envoy/bootstrap", Get("GetEnvoyBootstrap", "GetEnvoyBootstrap: an Envoy bootstrap for a virtual node or gateway",
            "Writes the bootstrap a sidecar or gateway Envoy starts from: its node id, the xDS server's address (by default the one "
            + "this API was configured with, Mesh:Bootstrap:Xds) and App Mesh's stats tags; everything else then arrives over xDS. "
            + "The parameters are the bootstrap command's settings (README, \"Envoy bootstrap\"); switches take no value, true or false. "
            + "With grpc, it is a proxyless gRPC application's xDS bootstrap (JSON) instead (README, \"Proxyless gRPC\"), with the "
            + "certificate providers the virtual node's TLS files need, read from its spec. "
            + "A bootstrap holds no secrets, so this needs no signature.",
            BootstrapParameters(),
            new JsonObject
            {
                ["200"] = Text("The bootstrap, YAML unless format=json or grpc.", "application/yaml", "application/json"),
                ["400"] = Text("A parameter is missing or wrong; the text says which.", "text/plain"),
                ["503"] = Text("With grpc: the virtual node's spec could not be read from the database.", "text/plain"),
            }));
        yield return ("/healthz", Get("GetLiveness", "GetLiveness: is the process up",
            "Answers Healthy while the process runs, whatever the database's state: for liveness probes.",
            [],
            new JsonObject { ["200"] = Text("Healthy", "text/plain") }));
        yield return ("/readyz", Get("GetReadiness", "GetReadiness: can the API serve",
            "Answers Healthy while PostgreSQL answers, holds the migrated schema and opens with the configured master key; "
            + "otherwise 503 with Unhealthy and what to fix, for readiness probes and load balancers.",
            [],
            new JsonObject
            {
                ["200"] = Text("Healthy", "text/plain"),
                ["503"] = Text("Unhealthy: and the problem, e.g. that the migrations are not applied.", "text/plain"),
            }));
        yield return ("/metrics", Get("GetMetrics", "GetMetrics: Prometheus metrics",
            "The API's metrics in Prometheus text format: calls and latency per App Mesh operation, HTTP server, database, "
            + ".NET runtime and process metrics (README, \"Observing the control plane\").",
            [],
            new JsonObject { ["200"] = Text("Prometheus text exposition format.", "text/plain") }));
    }

    private static JsonObject Get(string operationId, string summary, string description, JsonArray parameters, JsonObject responses) => new()
    {
        ["get"] = new JsonObject
        {
            ["operationId"] = operationId,
            ["summary"] = summary,
            ["description"] = description,
            ["tags"] = new JsonArray(Tag),
            ["security"] = new JsonArray(),
            ["parameters"] = parameters,
            ["responses"] = responses,
        },
    };

    private static JsonArray BootstrapParameters()
    {
        var parameters = new JsonArray();
        foreach (var name in BootstrapArguments.Names.OrderBy(n => n != "node"))
        {
            parameters.Add(new JsonObject
            {
                ["name"] = name,
                ["in"] = "query",
                ["required"] = name == "node",
                ["description"] = name == "node"
                    ? "node.id: an App Mesh ARN, mesh/<mesh>/virtualNode/<name> or mesh/<mesh>/virtualGateway/<name>."
                    : BootstrapArguments.IsFlag(name) ? "A switch: present (or true) turns it on." : $"The bootstrap command's --{name}.",
                ["schema"] = new JsonObject { ["type"] = "string" },
            });
        }

        return parameters;
    }

    private static JsonObject Text(string description, params string[] mediaTypes)
    {
        var content = new JsonObject();
        foreach (var mediaType in mediaTypes)
        {
            content[mediaType] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } };
        }

        return new JsonObject { ["description"] = description, ["content"] = content };
    }
}
