using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Model.Resources;

namespace Mesh.Api.Protocol;

/// <summary>Maps each operation name of the model to the code that performs it.</summary>
public sealed class OperationDispatcher
{
    private readonly FrozenDictionary<string, Func<ApiCall, JsonObject, CancellationToken, Task<JsonObject>>> handlers;

    private readonly ResourceOperations resources;
    private readonly ReadRace reads;

    public OperationDispatcher(ResourceOperations resources, TagOperations tags, ReadRace reads)
    {
        this.resources = resources;
        this.reads = reads;

        // Reads end at the call's deadline even when the database does not answer (ReadRace); writes do in WriteTransactions.
        Func<ApiCall, JsonObject, CancellationToken, Task<JsonObject>> Read(Func<ApiCall, JsonObject, CancellationToken, Task<JsonObject>> read) =>
            (call, input, ct) => reads.RunAsync(read, call, input, ct);

        var map = new Dictionary<string, Func<ApiCall, JsonObject, CancellationToken, Task<JsonObject>>>(StringComparer.Ordinal)
        {
            ["TagResource"] = tags.TagAsync,
            ["UntagResource"] = tags.UntagAsync,
            ["ListTagsForResource"] = Read((call, input, ct) => tags.ListAsync(call.AccountId, input, ct)),
        };
        foreach (var kind in ResourceKind.All)
        {
            map["Create" + kind.PascalName] = (call, input, ct) => resources.CreateAsync(call, kind, input, ct);
            map["Describe" + kind.PascalName] = Read((call, input, ct) => resources.DescribeAsync(call.AccountId, kind, input, ct));
            map["Update" + kind.PascalName] = (call, input, ct) => resources.UpdateAsync(call, kind, input, ct);
            map["Delete" + kind.PascalName] = (call, input, ct) => resources.DeleteAsync(call, kind, input, ct);
            map["List" + kind.PluralPascalName] = Read((call, input, ct) => resources.ListAsync(call.AccountId, kind, input, ct));
        }

        handlers = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> OperationNames => handlers.Keys;

    /// <summary>
    /// A Describe bound straight into its resource's id (<see cref="RequestBinder.TryBindDescribe"/>), read as the
    /// Describe handler above reads it: through <see cref="ReadRace"/>, for the caller's account.
    /// </summary>
    public Task<JsonObject> DescribeAsync(ApiCall call, ResourceId id, CancellationToken cancellationToken) =>
        reads.RunResourceAsync(
            static (state, ct) => state.Resources.DescribeAsync(state.AccountId, state.Id, ct),
            (Resources: resources, call.AccountId, Id: id),
            cancellationToken);

    /// <summary>
    /// A list page bound straight from its request (<see cref="RequestBinder.TryBindList"/>), read as the List handler
    /// above reads it: through <see cref="ReadRace"/>, for the caller's account.
    /// </summary>
    public Task<JsonObject> ListAsync(ApiCall call, ListRequest request, CancellationToken cancellationToken) =>
        reads.RunResourceAsync(
            static (state, ct) => state.Resources.ListAsync(state.AccountId, state.Request, ct),
            (Resources: resources, call.AccountId, Request: request),
            cancellationToken);

    /// <summary>Runs the call's operation on behalf of the caller's account; resources of other accounts are invisible to it.</summary>
    public Task<JsonObject> DispatchAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken) =>
        handlers.TryGetValue(call.Operation, out var handler)
            ? handler(call, input, cancellationToken)
            : throw new InvalidOperationException($"No handler is registered for operation {call.Operation}.");
}
