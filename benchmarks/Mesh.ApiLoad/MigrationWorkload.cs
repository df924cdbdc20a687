using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Mesh.ApiLoad;

/// <summary>
/// A migration off App Mesh as terraform apply runs it (parallelism 10): one mesh, and N of every kind in it,
/// each created as soon as what it depends on exists. Nodes, routers and gateways first; then routes and the
/// services the routers provide; then gateway routes to those services.
/// </summary>
internal sealed class MigrationWorkload(LoadOptions options, string run)
{
    private const int Parallelism = 10;

    public async Task<string> RunAsync()
    {
        var size = options.MigrationSize;
        var mesh = $"{run}-migration";
        var prefix = $"/v20190125/meshes/{mesh}";
        var failures = new ConcurrentDictionary<string, int>();
        var calls = 0;

        async Task CreateAllAsync(IEnumerable<(string Path, JsonObject Body)> creates)
        {
            await Parallel.ForEachAsync(creates, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (create, _) =>
            {
                using var client = new SignedClient(options.Api, options.Credentials, options.Region);
                create.Body["clientToken"] = Guid.NewGuid().ToString();
                var answer = await client.SendAsync(HttpMethod.Put, create.Path, create.Body);
                Interlocked.Increment(ref calls);
                if (!answer.Ok)
                {
                    failures.AddOrUpdate(answer.Outcome, 1, (_, n) => n + 1);
                }
            });
        }

        var started = Stopwatch.GetTimestamp();
        using (var setup = new SignedClient(options.Api, options.Credentials, options.Region))
        {
            ApiCells.Require(await setup.SendAsync(HttpMethod.Put, "/v20190125/meshes", new JsonObject { ["meshName"] = mesh }), "create the migration mesh");
        }

        var range = Enumerable.Range(0, size).ToList();
        await CreateAllAsync(range.SelectMany(i => new[]
        {
            ($"{prefix}/virtualNodes", new JsonObject { ["virtualNodeName"] = $"node-{i}", ["spec"] = Specs.Node($"node-{i}.{mesh}.local") }),
            ($"{prefix}/virtualRouters", new JsonObject { ["virtualRouterName"] = $"router-{i}", ["spec"] = Specs.Router() }),
            ($"{prefix}/virtualGateways", new JsonObject { ["virtualGatewayName"] = $"gateway-{i}", ["spec"] = Specs.Gateway() }),
        }));
        await CreateAllAsync(range.SelectMany(i => new[]
        {
            ($"{prefix}/virtualRouter/router-{i}/routes", new JsonObject { ["routeName"] = $"route-{i}", ["spec"] = Specs.Route($"node-{i}") }),
            ($"{prefix}/virtualServices", new JsonObject { ["virtualServiceName"] = $"svc-{i}.{mesh}.local", ["spec"] = Specs.ServiceByRouter($"router-{i}") }),
        }));
        await CreateAllAsync(range.Select(i =>
            ($"{prefix}/virtualGateway/gateway-{i}/gatewayRoutes", new JsonObject { ["gatewayRouteName"] = $"gr-{i}", ["spec"] = Specs.GatewayRoute($"svc-{i}.{mesh}.local") })));
        var elapsed = Stopwatch.GetElapsedTime(started);

        var failed = failures.IsEmpty ? "no error" : "failures: " + string.Join(", ", failures.Select(f => $"{f.Key}: {f.Value}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"Migration: {calls} creates ({size} each of virtual nodes, routers, routes, services, gateways and gateway routes) in one mesh by {Parallelism} clients: {elapsed.TotalSeconds:0.0} s, {calls / elapsed.TotalSeconds:0} creates/s, {failed}. The mesh {mesh} is left in place.");
    }
}
