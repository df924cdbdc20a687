using Mesh.Persistence;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// A resources row read with plain Npgsql (no EF Core query translation or tracking): the column list every such
/// query selects, and the entity made from it.
/// </summary>
public static class ResourceRows
{
    public const string Columns =
        "id, account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec::text, tags::text, refs, resource_owner, created_at, last_updated_at";

    public static ResourceEntity From(object?[] row) => new()
    {
        Id = (long)row[0]!,
        AccountId = (string)row[1]!,
        MeshName = (string)row[2]!,
        Kind = (string)row[3]!,
        ParentName = (string)row[4]!,
        Name = (string)row[5]!,
        Arn = (string)row[6]!,
        Uid = (Guid)row[7]!,
        Version = (long)row[8]!,
        Spec = (string)row[9]!,
        Tags = (string)row[10]!,
        Refs = (string[])row[11]!,
        ResourceOwner = (string)row[12]!,
        CreatedAt = AsOffset(row[13]!),
        LastUpdatedAt = AsOffset(row[14]!),
    };

    public static ResourceEntity From(NpgsqlDataReader reader)
    {
        var row = new object[reader.FieldCount];
        reader.GetValues(row);
        return From(row!);
    }

    /// <summary>Npgsql reads timestamptz as a UTC DateTime.</summary>
    public static DateTimeOffset AsOffset(object value) => value switch
    {
        DateTimeOffset offset => offset,
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        _ => throw new InvalidCastException($"Unexpected timestamp type {value.GetType()}"),
    };
}
