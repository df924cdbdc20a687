using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Mesh.Persistence;

namespace Mesh.Api.Resources;

/// <summary>
/// Renders a stored resource as the model's *Data and *Ref shapes. Members are taken in the order and
/// with the names the shape declares, so the output cannot carry anything the model does not name.
/// </summary>
public sealed class ResourceView(ServiceModel model)
{
    /// <summary>
    /// The wire's <c>status.status</c>. A delete removes the row, so everything stored is ACTIVE and DELETED appears only
    /// in a delete's answer; nothing is stored for it.
    /// </summary>
    public const string Active = "ACTIVE";

    public const string Deleted = "DELETED";

    /// <summary>How many stored specs <see cref="Spec{TState}"/> keeps parsed; past it, the cache starts over.</summary>
    public const int CachedSpecs = 10_000;

    // A resource's spec never changes without a new version (and a re-created resource has a new uid), so
    // (uid, version) names one spec for good. JsonElements are immutable and safe to share between requests.
    private readonly ConcurrentDictionary<(Guid Uid, long Version), JsonElement> storedSpecs = new();

    /// <summary>How many parsed specs are cached.</summary>
    public int CachedSpecCount => storedSpecs.Count;

    /// <summary>
    /// The parsed spec of <paramref name="uid"/> at <paramref name="version"/>: from the cache, or else
    /// <paramref name="readText"/>(<paramref name="state"/>) parsed and kept, so a Describe neither reads nor parses the
    /// text of a spec it has answered before, and copies the parsed element into its answer.
    /// </summary>
    public JsonElement Spec<TState>(Guid uid, long version, TState state, Func<TState, string> readText)
    {
        var key = (uid, version);
        if (storedSpecs.TryGetValue(key, out var spec))
        {
            return spec;
        }

        using var document = JsonDocument.Parse(readText(state));
        spec = document.RootElement.Clone();
        if (storedSpecs.Count >= CachedSpecs)
        {
            storedSpecs.Clear();
        }

        storedSpecs[key] = spec;
        return spec;
    }

    /// <summary>How many rendered answers and list items are kept, each (<see cref="RenderedPerVersion"/>).</summary>
    public const int CachedRenderings = 10_000;

    /// <summary>Describe answers (*Data, as UTF-8 JSON) rendered once per uid and version.</summary>
    public RenderedPerVersion Described { get; } = new(CachedRenderings);

    /// <summary>List items (*Ref, as UTF-8 JSON) rendered once per uid and version.</summary>
    public RenderedPerVersion Listed { get; } = new(CachedRenderings);

    private readonly Dictionary<ResourceKind, DataWriter> dataWriters = ResourceKind.All.ToDictionary(kind => kind, kind => new DataWriter(model, kind));

    /// <summary>How <paramref name="kind"/>'s *Data answer is written from a stored row: members in the Data shape's order.</summary>
    public DataWriter DataOf(ResourceKind kind) => dataWriters[kind];

    /// <summary>
    /// The *Data shape as nodes. No answer is built this way any more (Describe and the writes write theirs with
    /// <see cref="DataWriter"/>, see <see cref="WrittenAnswer"/>); it is the plain statement of the shape that the written
    /// answers are tested against, byte for byte.
    /// </summary>
    public JsonObject Data(ResourceKind kind, ResourceEntity entity, string status) =>
        Data(kind, entity, status, JsonNode.Parse(entity.Spec));

    /// <summary>Like the other overloads, with the spec given as a node (e.g. <see cref="RawJson"/> of JSON already written).</summary>
    public JsonObject Data(ResourceKind kind, ResourceEntity entity, string status, JsonNode? spec)
    {
        var values = CommonValues(kind, entity);
        values["metadata"] = new JsonObject
        {
            ["arn"] = entity.Arn,
            ["createdAt"] = EpochSeconds(entity.CreatedAt),
            ["lastUpdatedAt"] = EpochSeconds(entity.LastUpdatedAt),
            ["meshOwner"] = entity.AccountId,
            ["resourceOwner"] = entity.ResourceOwner,
            ["uid"] = entity.Uid.ToString(),
            ["version"] = entity.Version,
        };
        values["spec"] = spec;
        values["status"] = new JsonObject { ["status"] = status };
        return Project(kind.DataShape, values);
    }

    private readonly Dictionary<ResourceKind, RefWriter> refWriters = ResourceKind.All.ToDictionary(kind => kind, kind => new RefWriter(model, kind));

    /// <summary>How <paramref name="kind"/>'s *Ref items are written: members in the Ref shape's order.</summary>
    public RefWriter Refs(ResourceKind kind) => refWriters[kind];

    /// <summary>Epoch seconds with millisecond precision, as a JSON number: the form every AWS SDK parses.</summary>
    public static decimal EpochSeconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000m;

    private static Dictionary<string, JsonNode?> CommonValues(ResourceKind kind, ResourceEntity entity)
    {
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal) { ["meshName"] = entity.MeshName };
        if (!kind.IsMesh)
        {
            values[kind.NameMember] = entity.Name;
        }

        if (kind.Parent is { } parent)
        {
            values[parent.NameMember] = entity.ParentName;
        }

        return values;
    }

    private JsonObject Project(string shapeName, Dictionary<string, JsonNode?> values)
    {
        var result = new JsonObject();
        foreach (var member in model.Shape(shapeName).Members)
        {
            if (values.TryGetValue(member.Name, out var value) && value is not null)
            {
                result[member.Name] = value;
            }
        }

        return result;
    }
}
