using System.Text;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// A list item's text columns are the UTF-8 bytes PostgreSQL sent (<see cref="RefRow.Read"/>, with GetBytes): the
/// same bytes as the column's string encoded, for text outside ASCII, and for values longer than what is left of
/// the scratch buffer (read as a string instead).
/// </summary>
public sealed class RefRowReadTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Theory]
    [InlineData(8 * 1024)] // the size a list page uses: every column fits
    [InlineData(40)] // the ARN and the owner do not fit after the name: they are read as strings
    public async Task TextColumns_AreTheirUtf8Bytes(int scratchBytes)
    {
        const string name = "nöde-€-𝄞-\"q\\<>&";
        var arn = "arn:aws:appmesh:us-east-1:111122223333:mesh/m/virtualNode/" + name + new string('é', 3000);
        const string owner = "4444555566667777-ü";

        await using var source = NpgsqlDataSource.Create(api.ConnectionString);
        await using var command = source.CreateCommand(
            "SELECT gen_random_uuid() AS uid, 7::bigint AS version, $1::text AS name, $2::text AS arn, $3::text AS resource_owner, now() AS created_at, now() AS last_updated_at");
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = arn });
        command.Parameters.Add(new() { Value = owner });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(RefRow.Columns.Split(", "), Enumerable.Range(0, reader.FieldCount).Select(reader.GetName)); // the same columns, in the same order

        var row = RefRow.Read(reader, new RefPage("111122223333", "m", ""), new byte[scratchBytes]);

        Assert.Equal(Encoding.UTF8.GetBytes(name), row.Name.ToArray());
        Assert.Equal(Encoding.UTF8.GetBytes(arn), row.Arn.ToArray());
        Assert.Equal(Encoding.UTF8.GetBytes(owner), row.ResourceOwner.ToArray());
        Assert.Equal(7, row.Version);
    }
}
