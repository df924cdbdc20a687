using Npgsql;

namespace Mesh.Persistence;

/// <summary>
/// Npgsql's automatic preparation on a host's data source (the API's and the xDS server's), applied only when the
/// operator has not set <c>Max Auto Prepare</c> in the connection string. Both hosts run the same few statements all
/// the time (the API's reads and writes; the xDS server's change-log read after every NOTIFY, its mesh reads and its
/// leases): prepared once per connection, PostgreSQL skips parsing and planning them on every call. Npgsql's default
/// is 0, none prepared.
/// </summary>
public static class StatementPreparation
{
    /// <summary>How many statements each connection keeps prepared (the most used; Npgsql evicts the least recently used).</summary>
    public const int AutoPreparedStatements = 128;

    public static string Apply(string connectionString)
    {
        if (ConnectionStrings.Sets(connectionString, "Max Auto Prepare", "MaxAutoPrepare"))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = AutoPreparedStatements }.ConnectionString;
    }
}
