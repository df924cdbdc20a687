using Npgsql;

namespace Mesh.Api.Tests.Fuzz;

/// <summary>
/// Every row of the tables a write touches (resources and the change feed), as text, so that two
/// snapshots taken around a batch of requests show whether any of them wrote anything.
/// </summary>
public static class DatabaseSnapshot
{
    private static readonly string[] Tables = ["resources", "changes"];

    public static async Task<IReadOnlyList<string>> TakeAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var rows = new List<string>();
        foreach (var table in Tables)
        {
            await using var command = new NpgsqlCommand($"SELECT t::text FROM {table} t ORDER BY t::text", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add($"{table}: {reader.GetString(0)}");
            }
        }

        return rows;
    }

    public static void AssertUnchanged(IReadOnlyList<string> before, IReadOnlyList<string> after)
    {
        var added = after.Except(before).ToList();
        var removed = before.Except(after).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            $"The database changed.\nAdded rows:\n{string.Join('\n', added.Take(10))}\nRemoved rows:\n{string.Join('\n', removed.Take(10))}");
    }
}
