using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Model.Resources;

namespace Mesh.Api.Protocol;

/// <summary>Maps each operation name of the model to the code that performs it.</summary>
public sealed class OperationDispatcher
{
    private readonly FrozenDictionary<string, Func<string, JsonObject, CancellationToken, Task<JsonObject>>> handlers;

    public OperationDispatcher(ResourceOperations resources, TagOperations tags)
    {
        var map = new Dictionary<string, Func<string, JsonObject, CancellationToken, Task<JsonObject>>>(StringComparer.Ordinal)
        {
            ["TagResource"] = tags.TagAsync,
            ["UntagResource"] = tags.UntagAsync,
            ["ListTagsForResource"] = tags.ListAsync,
        };
        foreach (var kind in ResourceKind.All)
        {
            var create = "Create" + kind.PascalName;
            var update = "Update" + kind.PascalName;
            var delete = "Delete" + kind.PascalName;
            map[create] = (account, input, ct) => resources.CreateAsync(account, kind, create, input, ct);
            map["Describe" + kind.PascalName] = (account, input, ct) => resources.DescribeAsync(account, kind, input, ct);
            map[update] = (account, input, ct) => resources.UpdateAsync(account, kind, update, input, ct);
            map[delete] = (account, input, ct) => resources.DeleteAsync(account, kind, delete, input, ct);
            map["List" + kind.PluralPascalName] = (account, input, ct) => resources.ListAsync(account, kind, input, ct);
        }

        handlers = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> OperationNames => handlers.Keys;

    /// <summary>Runs an operation on behalf of the caller's account; resources of other accounts are invisible to it.</summary>
    public Task<JsonObject> DispatchAsync(string operation, string account, JsonObject input, CancellationToken cancellationToken) =>
        handlers.TryGetValue(operation, out var handler)
            ? handler(account, input, cancellationToken)
            : throw new InvalidOperationException($"No handler is registered for operation {operation}.");
}
