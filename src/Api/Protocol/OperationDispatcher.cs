using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Model.Resources;

namespace Mesh.Api.Protocol;

/// <summary>Maps each operation name of the model to the code that performs it.</summary>
public sealed class OperationDispatcher
{
    private readonly FrozenDictionary<string, Func<JsonObject, CancellationToken, Task<JsonObject>>> handlers;

    public OperationDispatcher(ResourceOperations resources, TagOperations tags)
    {
        var map = new Dictionary<string, Func<JsonObject, CancellationToken, Task<JsonObject>>>(StringComparer.Ordinal)
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
            map[create] = (input, ct) => resources.CreateAsync(kind, create, input, ct);
            map["Describe" + kind.PascalName] = (input, ct) => resources.DescribeAsync(kind, input, ct);
            map[update] = (input, ct) => resources.UpdateAsync(kind, update, input, ct);
            map[delete] = (input, ct) => resources.DeleteAsync(kind, delete, input, ct);
            map["List" + kind.PluralPascalName] = (input, ct) => resources.ListAsync(kind, input, ct);
        }

        handlers = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> OperationNames => handlers.Keys;

    public Task<JsonObject> DispatchAsync(string operation, JsonObject input, CancellationToken cancellationToken) =>
        handlers.TryGetValue(operation, out var handler)
            ? handler(input, cancellationToken)
            : throw new InvalidOperationException($"No handler is registered for operation {operation}.");
}
