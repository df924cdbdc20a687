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

    /// <summary>How many stored specs <see cref="StoredData"/> keeps parsed; past it, the cache starts over.</summary>
    public const int CachedSpecs = 10_000;

    // A resource's spec never changes without a new version (and a re-created resource has a new uid), so
    // (uid, version) names one spec for good. JsonElements are immutable and safe to share between requests.
    private readonly ConcurrentDictionary<(Guid Uid, long Version), JsonElement> storedSpecs = new();

    /// <summary>How many parsed specs are cached.</summary>
    public int CachedSpecCount => storedSpecs.Count;

    /// <summary>
    /// Like <see cref="Data"/>, for a resource as read from the database: its spec is parsed once per uid and
    /// version, and each answer wraps the parsed element in a JsonObject of its own, which is written out by
    /// copying the element rather than building a tree.
    /// </summary>
    public JsonObject StoredData(ResourceKind kind, ResourceEntity entity, string status)
    {
        var key = (entity.Uid, entity.Version);
        if (!storedSpecs.TryGetValue(key, out var spec))
        {
            using var document = JsonDocument.Parse(entity.Spec);
            spec = document.RootElement.Clone();
            if (storedSpecs.Count >= CachedSpecs)
            {
                storedSpecs.Clear();
            }

            storedSpecs[key] = spec;
        }

        return Data(kind, entity, status, JsonObject.Create(spec));
    }

    public JsonObject Data(ResourceKind kind, ResourceEntity entity, string status) =>
        Data(kind, entity, status, JsonNode.Parse(entity.Spec));

    private JsonObject Data(ResourceKind kind, ResourceEntity entity, string status, JsonNode? spec)
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

    /// <summary>
    /// A list page's *Ref items as one JSON value that writes itself straight to the response: each member in the
    /// order and with the name the Ref shape declares, without a JsonObject per item in between (a list of 100
    /// spent most of its rendering building and then walking those).
    /// </summary>
    public JsonNode RefList(ResourceKind kind, IReadOnlyList<ResourceEntity> entities) =>
        JsonValue.Create(new RefPage(kind, entities), refPages)!;

    private readonly JsonTypeInfo<RefPage> refPages = (JsonTypeInfo<RefPage>)new JsonSerializerOptions
    {
        Converters = { new RefPageConverter(model) },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    }.GetTypeInfo(typeof(RefPage));

    private sealed record RefPage(ResourceKind Kind, IReadOnlyList<ResourceEntity> Entities);

    private sealed class RefPageConverter(ServiceModel model) : JsonConverter<RefPage>
    {
        public override RefPage Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("A list page is only ever written.");

        public override void Write(Utf8JsonWriter writer, RefPage page, JsonSerializerOptions options)
        {
            var kind = page.Kind;
            var members = model.Shape(kind.RefShape).Members;
            writer.WriteStartArray();
            foreach (var entity in page.Entities)
            {
                writer.WriteStartObject();
                foreach (var member in members)
                {
                    switch (member.Name)
                    {
                        case "createdAt":
                            writer.WriteNumber(member.Name, EpochSeconds(entity.CreatedAt));
                            break;
                        case "lastUpdatedAt":
                            writer.WriteNumber(member.Name, EpochSeconds(entity.LastUpdatedAt));
                            break;
                        case "version":
                            writer.WriteNumber(member.Name, entity.Version);
                            break;
                        default:
                            if (RefString(kind, entity, member.Name) is { } text)
                            {
                                writer.WriteString(member.Name, text);
                            }

                            break;
                    }
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        private static string? RefString(ResourceKind kind, ResourceEntity entity, string member) => member switch
        {
            "meshName" => entity.MeshName,
            "arn" => entity.Arn,
            "meshOwner" => entity.AccountId,
            "resourceOwner" => entity.ResourceOwner,
            _ when !kind.IsMesh && member == kind.NameMember => entity.Name,
            _ when kind.Parent is { } parent && member == parent.NameMember => entity.ParentName,
            _ => null,
        };
    }

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
