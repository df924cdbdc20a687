using System.Text.Json;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>What a list shows of one resource (its *Ref shape), as read from a row.</summary>
public readonly record struct RefRow(
    string AccountId, string MeshName, string ParentName, string Name, string Arn, long Version, string ResourceOwner,
    DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt)
{
    /// <summary>
    /// The columns <see cref="Read"/> reads, in its order: what differs between the items of one list page (their
    /// account, mesh and parent are the page's own, so they are not read and allocated again for every row).
    /// </summary>
    public const string Columns = "name, arn, version, resource_owner, created_at, last_updated_at";

    /// <summary>
    /// The current row of a reader over <see cref="Columns"/>, with typed getters, in the page of the given account,
    /// mesh and parent; a page of meshes passes a null mesh name, as each mesh is its own mesh.
    /// </summary>
    public static RefRow Read(NpgsqlDataReader reader, string accountId, string? meshName, string parentName)
    {
        var name = reader.GetString(0);
        return new(accountId, meshName ?? name, parentName, name, reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
            Utc(reader.GetDateTime(4)), Utc(reader.GetDateTime(5)));
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}

/// <summary>
/// Writes one kind's *Ref items straight to JSON: each member in the order and with the name the Ref shape declares,
/// worked out once per kind rather than by matching member names on every item.
/// </summary>
public sealed class RefWriter
{
    private enum Field { Arn, CreatedAt, LastUpdatedAt, MeshName, MeshOwner, ResourceOwner, Name, ParentName, Version }

    private readonly (JsonEncodedText Name, Field Field)[] members;

    public RefWriter(ServiceModel model, ResourceKind kind)
    {
        members = ShapePlan.For(model, kind.RefShape, kind, static member => member switch
        {
            "arn" => Field.Arn,
            "createdAt" => Field.CreatedAt,
            "lastUpdatedAt" => Field.LastUpdatedAt,
            "version" => Field.Version,
            "meshName" => Field.MeshName,
            "meshOwner" => Field.MeshOwner,
            "resourceOwner" => Field.ResourceOwner,
            _ => (Field?)null,
        }, Field.Name, Field.ParentName);
    }

    public void Write(Utf8JsonWriter writer, in RefRow row)
    {
        writer.WriteStartObject();
        foreach (var (name, field) in members)
        {
            switch (field)
            {
                case Field.Arn: writer.WriteString(name, row.Arn); break;
                case Field.CreatedAt: writer.WriteNumber(name, ResourceView.EpochSeconds(row.CreatedAt)); break;
                case Field.LastUpdatedAt: writer.WriteNumber(name, ResourceView.EpochSeconds(row.LastUpdatedAt)); break;
                case Field.Version: writer.WriteNumber(name, row.Version); break;
                case Field.MeshName: writer.WriteString(name, row.MeshName); break;
                case Field.MeshOwner: writer.WriteString(name, row.AccountId); break;
                case Field.ResourceOwner: writer.WriteString(name, row.ResourceOwner); break;
                case Field.Name: writer.WriteString(name, row.Name); break;
                case Field.ParentName: writer.WriteString(name, row.ParentName); break;
            }
        }

        writer.WriteEndObject();
    }
}
