using System.Diagnostics;
using System.Text.Json.Nodes;
using Mesh.ApiLoad;

namespace Mesh.Fleet;

/// <summary>
/// The mesh the fleet connects to, made through the real REST API with SigV4: <c>services</c> services, each a
/// virtual node behind a router with one route and a virtual service, and one client virtual node per
/// <c>proxiesPerClient</c> proxies, each calling every service.
/// </summary>
internal sealed class FleetMesh(Uri api, Credentials credentials, string region, string name, int services, int clients)
{
    public string Name { get; } = name;

    public int Clients { get; } = clients;

    public string ClientNode(int i) => $"client-{i % Clients}";

    // Kept here, not derived from a change's index, because every variant of a run changes the same route (two
    // variants of one change each used to write the same count).
    private readonly RouteRetryCycle _retries = new();

    private string Prefix => $"/v20190125/meshes/{Name}";

    public async Task CreateAsync()
    {
        using var setup = new SignedClient(api, credentials, region);
        Require(await setup.SendAsync(HttpMethod.Put, "/v20190125/meshes", new JsonObject { ["meshName"] = Name }), "create the mesh");
        await AllAsync(Enumerable.Range(0, services).SelectMany(i => new[]
        {
            ($"{Prefix}/virtualNodes", new JsonObject { ["virtualNodeName"] = $"svc-{i}", ["spec"] = Specs.Node($"svc-{i}.{Name}.local") }),
            ($"{Prefix}/virtualRouters", new JsonObject { ["virtualRouterName"] = $"router-{i}", ["spec"] = Specs.Router() }),
        }));
        await AllAsync(Enumerable.Range(0, services).SelectMany(i => new[]
        {
            ($"{Prefix}/virtualRouter/router-{i}/routes", new JsonObject { ["routeName"] = "route", ["spec"] = Specs.Route($"svc-{i}") }),
            ($"{Prefix}/virtualServices", new JsonObject { ["virtualServiceName"] = Service(i), ["spec"] = Specs.ServiceByRouter($"router-{i}") }),
        }));
        await AllAsync(Enumerable.Range(0, Clients).Select(c =>
        {
            var spec = Specs.Node($"client-{c}.{Name}.local");
            spec["backends"] = new JsonArray(Enumerable.Range(0, services)
                .Select(i => (JsonNode)new JsonObject { ["virtualService"] = new JsonObject { ["virtualServiceName"] = Service(i) } }).ToArray());
            return ($"{Prefix}/virtualNodes", new JsonObject { ["virtualNodeName"] = $"client-{c}", ["spec"] = spec });
        }));
    }

    private string Service(int i) => $"svc-{i}.{Name}.local";

    /// <summary>
    /// One route change that every client's RDS carries: service 0's route gets another retry count
    /// (<see cref="RouteRetryCycle"/>). Returns the timestamp taken just before the call.
    /// </summary>
    public async Task<long> ChangeRouteAsync()
    {
        using var client = new SignedClient(api, credentials, region);
        var spec = ChangedRoute(_retries.Next());
        var before = Stopwatch.GetTimestamp();
        Require(await client.SendAsync(HttpMethod.Put, $"{Prefix}/virtualRouter/router-0/routes/route", new JsonObject { ["spec"] = spec }), "update the route");
        return before;
    }

    /// <summary>Service 0's route as a change writes it: the route it was created with, with another retry count.</summary>
    internal static JsonObject ChangedRoute(int retries)
    {
        var spec = Specs.Route("svc-0");
        spec["httpRoute"]!["retryPolicy"]!["maxRetries"] = retries;
        return spec;
    }

    private async Task AllAsync(IEnumerable<(string Path, JsonObject Body)> creates)
    {
        await Parallel.ForEachAsync(creates, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (create, _) =>
        {
            using var client = new SignedClient(api, credentials, region);
            Require(await client.SendAsync(HttpMethod.Put, create.Path, create.Body), $"PUT {create.Path}");
        });
    }

    private static void Require(Answer answer, string what)
    {
        if (!answer.Ok)
        {
            throw new InvalidOperationException($"{what}: {answer.Outcome} {answer.Body}");
        }
    }
}

/// <summary>
/// The retry count each route change writes: 3, 4, … 7, then 3 again, starting from the count the route was created
/// with (<see cref="Specs.RouteRetries"/>, outside the cycle). Every change must write a count other than the one
/// stored, or the API stores the same spec, nothing reaches any proxy and the run waits out its timeout.
/// </summary>
internal sealed class RouteRetryCycle
{
    public const int Lowest = 3;
    public const int Highest = 7;

    public int Current { get; private set; } = Specs.RouteRetries;

    public int Next() => Current = Current is >= Lowest and < Highest ? Current + 1 : Lowest;
}
