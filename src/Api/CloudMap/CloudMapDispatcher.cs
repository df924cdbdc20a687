using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;

namespace Mesh.Api.CloudMap;

/// <summary>Maps each of Cloud Map's 30 operations to the code that performs it.</summary>
public sealed class CloudMapDispatcher
{
    private readonly FrozenDictionary<string, Func<ApiCall, JsonObject, CancellationToken, Task<JsonObject>>> handlers;

    public CloudMapDispatcher(
        CloudMapNamespaces namespaces,
        CloudMapServices services,
        CloudMapInstances instances,
        CloudMapDiscovery discovery,
        CloudMapOperationQueries operations,
        CloudMapTags tags,
        ReadRace reads)
    {
        var map = new Dictionary<string, Func<ApiCall, JsonObject, CancellationToken, Task<JsonObject>>>(StringComparer.Ordinal)
        {
            ["CreateHttpNamespace"] = (call, input, ct) => namespaces.CreateAsync(call, "HTTP", input, ct),
            ["CreatePrivateDnsNamespace"] = (call, input, ct) => namespaces.CreateAsync(call, "DNS_PRIVATE", input, ct),
            ["CreatePublicDnsNamespace"] = (call, input, ct) => namespaces.CreateAsync(call, "DNS_PUBLIC", input, ct),
            ["GetNamespace"] = (call, input, ct) => namespaces.GetAsync(call.AccountId, input, ct),
            ["ListNamespaces"] = (call, input, ct) => namespaces.ListAsync(call.AccountId, input, ct),
            ["UpdateHttpNamespace"] = (call, input, ct) => namespaces.UpdateAsync(call, "HTTP", input, ct),
            ["UpdatePrivateDnsNamespace"] = (call, input, ct) => namespaces.UpdateAsync(call, "DNS_PRIVATE", input, ct),
            ["UpdatePublicDnsNamespace"] = (call, input, ct) => namespaces.UpdateAsync(call, "DNS_PUBLIC", input, ct),
            ["DeleteNamespace"] = namespaces.DeleteAsync,
            ["CreateService"] = services.CreateAsync,
            ["GetService"] = (call, input, ct) => services.GetAsync(call.AccountId, input, ct),
            ["ListServices"] = (call, input, ct) => services.ListAsync(call.AccountId, input, ct),
            ["UpdateService"] = services.UpdateAsync,
            ["DeleteService"] = services.DeleteAsync,
            ["GetServiceAttributes"] = (call, input, ct) => services.GetAttributesAsync(call.AccountId, input, ct),
            ["UpdateServiceAttributes"] = services.UpdateAttributesAsync,
            ["DeleteServiceAttributes"] = services.DeleteAttributesAsync,
            ["RegisterInstance"] = instances.RegisterAsync,
            ["DeregisterInstance"] = instances.DeregisterAsync,
            ["GetInstance"] = (call, input, ct) => instances.GetAsync(call.AccountId, input, ct),
            ["ListInstances"] = (call, input, ct) => instances.ListAsync(call.AccountId, input, ct),
            ["GetInstancesHealthStatus"] = (call, input, ct) => instances.GetHealthAsync(call.AccountId, input, ct),
            ["UpdateInstanceCustomHealthStatus"] = instances.UpdateHealthAsync,
            ["DiscoverInstances"] = (call, input, ct) => discovery.DiscoverAsync(call.AccountId, input, ct),
            ["DiscoverInstancesRevision"] = (call, input, ct) => discovery.RevisionAsync(call.AccountId, input, ct),
            ["GetOperation"] = (call, input, ct) => operations.GetAsync(call.AccountId, input, ct),
            ["ListOperations"] = (call, input, ct) => operations.ListAsync(call.AccountId, input, ct),
            ["TagResource"] = tags.TagAsync,
            ["UntagResource"] = tags.UntagAsync,
            ["ListTagsForResource"] = (call, input, ct) => tags.ListAsync(call.AccountId, input, ct),
        };

        // Reads end at the call's deadline even when the database does not answer (ReadRace), as App Mesh's do; writes
        // do in WriteTransactions.
        foreach (var name in map.Keys.Where(CloudMapRequest.IsRead).ToList())
        {
            var read = map[name];
            map[name] = (call, input, ct) => reads.RunCloudMapAsync(read, call, input, ct);
        }

        handlers = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> OperationNames => handlers.Keys;

    public Task<JsonObject> DispatchAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken) =>
        handlers.TryGetValue(call.Operation, out var handler)
            ? handler(call, input, cancellationToken)
            : throw new InvalidOperationException($"No handler is registered for Cloud Map operation {call.Operation}.");
}
