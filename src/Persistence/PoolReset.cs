using Npgsql;

namespace Mesh.Persistence;

/// <summary>
/// Npgsql's reset of a pooled connection, turned off on a host's data source (the API's and the xDS server's) unless
/// the operator's connection string sets <c>No Reset On Close</c>. Npgsql resets a connection's session each time it
/// is taken from the pool again: <c>DISCARD ALL</c>, or once a statement is prepared, seven statements (<c>SET SESSION
/// AUTHORIZATION DEFAULT; RESET ALL; CLOSE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD SEQUENCES;
/// DISCARD TEMP</c>), sent before the connection's first statement. A host whose statements are a handful of short
/// ones paid PostgreSQL more for that than for them (docs/benchmarks.md, issue14ax, issue14az).
/// </summary>
/// <remarks>
/// Only for a data source whose connections leave no session state behind: each caller says why its own leave none.
/// What the reset does not cover stays as it is either way: an open transaction is rolled back when its connection
/// goes back to the pool, and prepared statements are kept.
/// </remarks>
public static class PoolReset
{
    public static string Off(string connectionString)
    {
        if (ConnectionStrings.Sets(connectionString, "No Reset On Close", "NoResetOnClose"))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString;
    }
}
