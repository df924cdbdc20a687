using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Mesh.Persistence;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// What a Describe shows of one resource beyond the identity it was asked by (account, mesh, parent and name, which
/// the query matched exactly): read with typed getters, the spec's text only when its parsed form is not cached.
/// Read only when the answer for the row's uid and version is not kept (<see cref="DescribeAsync"/>).
/// </summary>
public readonly record struct DataRow(string Arn, Guid Uid, long Version, JsonElement Spec, string ResourceOwner, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt)
{
    /// <summary>The columns <see cref="Read"/> reads, in its order.</summary>
    public const string Columns = "arn, uid, version, spec::text, resource_owner, created_at, last_updated_at";

    private const string Identity =
        "FROM resources WHERE account_id = $1 AND mesh_name = $2 AND kind = $3 AND parent_name = $4 AND name = $5";

    /// <summary>
    /// What names the answer: a hit needs nothing more. The spec is not selected, so PostgreSQL does not convert the
    /// jsonb to text (and the other columns are not sent) for a call that would not read them.
    /// </summary>
    private const string SelectVersion = $"SELECT uid, version {Identity}";

    private const string Select = $"SELECT {Columns} {Identity}";

    /// <summary>
    /// The Describe answer for the resource <paramref name="id"/> of <paramref name="account"/>: its *Data shape under
    /// its kind's member, or the refusal <paramref name="missing"/> makes when there is none. The *Data is written
    /// straight to JSON, not built as nodes, once per uid and version (<see cref="ResourceView.Described"/>): a call
    /// whose uid and version were rendered before is one statement that reads those two columns; any other reads the
    /// whole row with a second statement and renders it (<see cref="RenderAsync"/>).
    /// </summary>
    /// <remarks>
    /// The version's read (<see cref="CurrentVersionAsync"/>'s statement) and the answer's wrapping are written out here
    /// rather than awaited as methods of their own: a Describe waits for PostgreSQL, and each async method between
    /// Npgsql and the dispatcher allocated its state machine's box and was resumed on the way back (issue14ao).
    /// </remarks>
    public static async Task<JsonObject> DescribeAsync(ResourceView view, ReadDatabase reads, string account, ResourceId id,
        Func<string, ResourceId, CancellationToken, Task<AppMeshException>> missing, CancellationToken ct)
    {
        var parameters = IdentityParameters(account, id);
        (Guid Uid, long Version)? current;
        await using (var reader = await parameters.Command(reads, SelectVersion).ExecuteReaderAsync(ct))
        {
            current = await reader.ReadAsync(ct) ? (reader.GetGuid(0), reader.GetInt64(1)) : null;
        }

        parameters.Release();

        // The answer rendered for this uid and version before is this row's answer (RenderedPerVersion).
        var answer = current is not { } found ? null
            : view.Described.TryGet(found.Uid, found.Version, out var described) ? described
            : await RenderAsync(view, reads, account, id, ct);
        return answer is not null
            ? new JsonObject { [id.Kind.WireName] = RawJson.Of(answer) }
            : throw await missing(account, id, ct);
    }

    /// <summary>
    /// The uid and version of the resource <paramref name="id"/>, or null when there is none: the first statement of
    /// <see cref="DescribeAsync"/> (which runs it inline), on its own for callers that ask only whether a row is there.
    /// </summary>
    public static async Task<(Guid Uid, long Version)?> CurrentVersionAsync(ReadDatabase reads, string account, ResourceId id, CancellationToken ct)
    {
        var parameters = IdentityParameters(account, id);
        (Guid Uid, long Version)? current;
        // The command is the parameter set's own, kept with it for the next call (ReadParameters): not disposed.
        await using (var reader = await parameters.Command(reads, SelectVersion).ExecuteReaderAsync(ct))
        {
            current = await reader.ReadAsync(ct) ? (reader.GetGuid(0), reader.GetInt64(1)) : null;
        }

        parameters.Release();
        return current;
    }

    /// <summary>
    /// The answer for the resource <paramref name="id"/> as its row is now, rendered and kept under that row's own uid
    /// and version, or null when there is no row (any more). Everything in the answer, its uid and version included,
    /// comes from this one statement's row, so an update or a delete after <see cref="CurrentVersionAsync"/> is answered
    /// as the newer row (or as missing), never as a mix of the two.
    /// </summary>
    public static async Task<byte[]?> RenderAsync(ResourceView view, ReadDatabase reads, string account, ResourceId id, CancellationToken ct)
    {
        DataRow? found;
        var parameters = IdentityParameters(account, id);
        // The command is the parameter set's own, kept with it for the next call (ReadParameters): not disposed.
        await using (var reader = await parameters.Command(reads, Select).ExecuteReaderAsync(ct))
        {
            found = await reader.ReadAsync(ct) ? Read(reader, view) : null;
        }

        parameters.Release();
        if (found is not { } row)
        {
            return null;
        }

        // Rendered once into a pooled buffer, then kept as an array of its exact size: the next Describe of this
        // version sends those bytes as they are.
        var json = RenderBuffers.Rent();
        byte[] answer;
        try
        {
            var writer = JsonWriters.Rent(json);
            view.DataOf(id.Kind).Write(writer, account, id, row, ResourceView.Active);
            JsonWriters.Return(writer);

            answer = json.WrittenSpan.ToArray();
        }
        finally
        {
            RenderBuffers.Return(json);
        }

        view.Described.Keep(row.Uid, row.Version, answer);
        return answer;
    }

    /// <summary>The parameters of both Describe statements ($1 to $5 of <see cref="Identity"/>), kept between calls.</summary>
    private static readonly ReadParameterSets IdentitySets = new();

    private static ReadParameters IdentityParameters(string account, ResourceId id) =>
        IdentitySets.Rent().Text(account).Text(id.MeshName).Text(id.Kind.WireName).Text(id.ParentName).Text(id.Name);

    /// <summary>The current row of a reader over <see cref="Columns"/>.</summary>
    public static DataRow Read(NpgsqlDataReader reader, ResourceView view)
    {
        var uid = reader.GetGuid(1);
        var version = reader.GetInt64(2);
        var spec = view.Spec(uid, version, reader, static r => r.GetString(3));
        return new(reader.GetString(0), uid, version, spec, reader.GetString(4), Utc(reader.GetDateTime(5)), Utc(reader.GetDateTime(6)));
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}

/// <summary>
/// Writes one kind's *Data shape straight to JSON: each member in the order and with the name the shape declares, worked
/// out once per kind, with what <see cref="ResourceView.Data"/> puts in it (the metadata in the same member order).
/// </summary>
public sealed class DataWriter
{
    private enum Field { MeshName, Name, ParentName, Metadata, Spec, Status }

    private static readonly JsonEncodedText Arn = JsonEncodedText.Encode("arn");
    private static readonly JsonEncodedText CreatedAt = JsonEncodedText.Encode("createdAt");
    private static readonly JsonEncodedText LastUpdatedAt = JsonEncodedText.Encode("lastUpdatedAt");
    private static readonly JsonEncodedText MeshOwner = JsonEncodedText.Encode("meshOwner");
    private static readonly JsonEncodedText ResourceOwner = JsonEncodedText.Encode("resourceOwner");
    private static readonly JsonEncodedText Uid = JsonEncodedText.Encode("uid");
    private static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");
    private static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");

    private readonly (JsonEncodedText Name, Field Field)[] members;

    public DataWriter(ServiceModel model, ResourceKind kind)
    {
        members = ShapePlan.For(model, kind.DataShape, kind, static member => member switch
        {
            "meshName" => Field.MeshName,
            "metadata" => Field.Metadata,
            "spec" => Field.Spec,
            "status" => Field.Status,
            _ => (Field?)null,
        }, Field.Name, Field.ParentName);
    }

    public void Write(Utf8JsonWriter writer, string account, ResourceId id, in DataRow row, string status) =>
        Write(writer, new Written(account, id.MeshName, id.Name, id.ParentName, row.Arn, row.Uid, row.Version, row.ResourceOwner,
            row.CreatedAt, row.LastUpdatedAt), row.Spec, default, status);

    /// <summary>
    /// A write's *Data from its entity (<see cref="WrittenAnswer"/>), with the spec as <paramref name="rawSpec"/> (JSON
    /// written by a Utf8JsonWriter, copied as it is) or, when that is empty, as <paramref name="spec"/>.
    /// </summary>
    public void Write(Utf8JsonWriter writer, ResourceEntity entity, JsonElement spec, ReadOnlySpan<byte> rawSpec, string status) =>
        Write(writer, new Written(entity.AccountId, entity.MeshName, entity.Name, entity.ParentName, entity.Arn, entity.Uid, entity.Version,
            entity.ResourceOwner, entity.CreatedAt, entity.LastUpdatedAt), spec, rawSpec, status);

    /// <summary>What the *Data shows besides the spec and status, wherever it comes from.</summary>
    private readonly record struct Written(string Account, string MeshName, string Name, string ParentName, string Arn, Guid Uid, long Version,
        string ResourceOwner, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt);

    private void Write(Utf8JsonWriter writer, in Written row, JsonElement spec, ReadOnlySpan<byte> rawSpec, string status)
    {
        writer.WriteStartObject();
        foreach (var (name, field) in members)
        {
            switch (field)
            {
                case Field.MeshName: writer.WriteString(name, row.MeshName); break;
                case Field.Name: writer.WriteString(name, row.Name); break;
                case Field.ParentName: writer.WriteString(name, row.ParentName); break;
                case Field.Metadata:
                    writer.WriteStartObject(name);
                    writer.WriteString(Arn, row.Arn);
                    EpochSecondsJson.Write(writer, CreatedAt, row.CreatedAt);
                    EpochSecondsJson.Write(writer, LastUpdatedAt, row.LastUpdatedAt);
                    writer.WriteString(MeshOwner, row.Account);
                    writer.WriteString(ResourceOwner, row.ResourceOwner);
                    writer.WriteString(Uid, row.Uid);
                    writer.WriteNumber(Version, row.Version);
                    writer.WriteEndObject();
                    break;
                case Field.Spec when !rawSpec.IsEmpty:
                    // Written by a Utf8JsonWriter with the same options, so valid: copied, as RawJson is.
                    writer.WritePropertyName(name);
                    writer.WriteRawValue(rawSpec, skipInputValidation: true);
                    break;
                case Field.Spec when spec.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined:
                    writer.WritePropertyName(name);
                    spec.WriteTo(writer);
                    break;
                case Field.Status:
                    writer.WriteStartObject(name);
                    writer.WriteString(Status, status);
                    writer.WriteEndObject();
                    break;
            }
        }

        writer.WriteEndObject();
    }
}
