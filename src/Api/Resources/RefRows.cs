using System.Buffers;
using System.Text;
using System.Text.Json;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// What a list shows of one resource (its *Ref shape), as read from a row: its text as UTF-8, the bytes PostgreSQL
/// sent, written to the answer as they are (a page of 100 decoded its three text columns into 300 strings, about
/// 28 KB, only to encode them back to UTF-8).
/// </summary>
public readonly ref struct RefRow(
    ReadOnlySpan<byte> accountId, ReadOnlySpan<byte> meshName, ReadOnlySpan<byte> parentName, ReadOnlySpan<byte> name,
    ReadOnlySpan<byte> arn, long version, ReadOnlySpan<byte> resourceOwner, DateTimeOffset createdAt, DateTimeOffset lastUpdatedAt)
{
    /// <summary>
    /// What a page of kept items reads of each row: the uid and version, which name what an item shows
    /// (<see cref="RenderedPerVersion"/>), and the name, where the next page starts. PostgreSQL still visits each
    /// row's table page (the version is in no index: an index holding it would make every update write an entry in
    /// every index instead of a HOT update, issue14at), but forms and sends three columns instead of seven, which was
    /// about 40% of the page statement's execution (docs/benchmarks.md, issue14at).
    /// </summary>
    public const string KeyColumns = "uid, version, name";

    /// <summary>
    /// The columns <see cref="Read"/> reads, in its order: what differs between the items of one list page (their
    /// account, mesh and parent are the page's own, so they are not read again for every row). <see cref="KeyColumns"/>
    /// come first, at the same ordinals, so every row is read front to back, never seeking back to an earlier column.
    /// </summary>
    public const string Columns = KeyColumns + ", arn, resource_owner, created_at, last_updated_at";

    /// <summary>Where <see cref="Columns"/> has each column.</summary>
    public const int UidOrdinal = 0, VersionOrdinal = 1, NameOrdinal = 2, ArnOrdinal = 3, ResourceOwnerOrdinal = 4, CreatedAtOrdinal = 5, LastUpdatedAtOrdinal = 6;

    public ReadOnlySpan<byte> AccountId { get; } = accountId;
    public ReadOnlySpan<byte> MeshName { get; } = meshName;
    public ReadOnlySpan<byte> ParentName { get; } = parentName;
    public ReadOnlySpan<byte> Name { get; } = name;
    public ReadOnlySpan<byte> Arn { get; } = arn;
    public long Version { get; } = version;
    public ReadOnlySpan<byte> ResourceOwner { get; } = resourceOwner;
    public DateTimeOffset CreatedAt { get; } = createdAt;
    public DateTimeOffset LastUpdatedAt { get; } = lastUpdatedAt;

    /// <summary>
    /// The current row of a reader over <see cref="Columns"/>, in <paramref name="page"/>: its text columns are copied,
    /// as UTF-8, into <paramref name="scratch"/>, which the row's spans point into until the next row is read.
    /// </summary>
    public static RefRow Read(NpgsqlDataReader reader, RefPage page, byte[] scratch)
    {
        var used = 0;
        var version = reader.GetInt64(VersionOrdinal);
        var name = Utf8(reader, NameOrdinal, scratch, ref used);
        var arn = Utf8(reader, ArnOrdinal, scratch, ref used);
        var owner = Utf8(reader, ResourceOwnerOrdinal, scratch, ref used);
        return new(page.AccountId, page.MeshName ?? name, page.ParentName, name, arn, version, owner,
            Utc(reader.GetDateTime(CreatedAtOrdinal)), Utc(reader.GetDateTime(LastUpdatedAtOrdinal)));
    }

    /// <summary>
    /// A text column's UTF-8 bytes, copied from the row Npgsql already holds (the reader is not sequential). GetBytes
    /// copies them straight from its buffer; GetStream, used before, went through Npgsql's generic async-shaped value
    /// read and a stream per column (8% of a list page's API samples in 14m; about 2x the CPU of GetBytes for a page's
    /// 300 columns in a loop). A value longer than what is left of the scratch buffer is read as a string.
    /// </summary>
    private static ReadOnlySpan<byte> Utf8(NpgsqlDataReader reader, int ordinal, byte[] scratch, scoped ref int used)
    {
        var length = (int)reader.GetBytes(ordinal, 0, null, 0, 0);
        if (length > scratch.Length - used)
        {
            return Encoding.UTF8.GetBytes(reader.GetString(ordinal));
        }

        var copied = (int)reader.GetBytes(ordinal, 0, scratch, used, length);
        var text = scratch.AsSpan(used, copied);
        used += copied;
        return text;
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}

/// <summary>
/// What every item of one list page shares, as UTF-8, encoded once per page: the account, the mesh (null for a page of
/// meshes, where each mesh is its own mesh) and the parent.
/// </summary>
public sealed class RefPage(string accountId, string? meshName, string parentName)
{
    public byte[] AccountId { get; } = Encoding.UTF8.GetBytes(accountId);
    public byte[]? MeshName { get; } = meshName is null ? null : Encoding.UTF8.GetBytes(meshName);
    public byte[] ParentName { get; } = Encoding.UTF8.GetBytes(parentName);
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
                case Field.CreatedAt: EpochSecondsJson.Write(writer, name, row.CreatedAt); break;
                case Field.LastUpdatedAt: EpochSecondsJson.Write(writer, name, row.LastUpdatedAt); break;
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

    /// <summary>
    /// <paramref name="row"/>'s item on its own, as the bytes a list page carries for it: written into
    /// <paramref name="buffer"/> by <paramref name="writer"/> (made on the first call, reset on the next), which
    /// writes with the page's options, so the item's bytes are what writing it into the page would give.
    /// </summary>
    public byte[] Render(in RefRow row, ArrayBufferWriter<byte> buffer, ref Utf8JsonWriter? writer)
    {
        buffer.ResetWrittenCount();
        if (writer is null)
        {
            writer = new Utf8JsonWriter(buffer);
        }
        else
        {
            writer.Reset(buffer);
        }

        Write(writer, row);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
