using Mesh.Persistence;
using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The server's pool does not reset a connection it gets back (<see cref="PoolReset"/>): each catch-up opened pooled
/// connections, and each open sent PostgreSQL the reset before its first statement. That is safe only because no
/// LISTEN can reach the pool: the change feed's LISTEN connection is a connection of its own, closed when the feed
/// lets it go (<see cref="ListenConnections"/>).
/// </summary>
public sealed class ConnectionPoolTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly string Listen = $"LISTEN {ChangeFeed.Channel}";

    [Fact]
    public async Task The_Feeds_Listen_Connection_Ends_When_The_Feed_Lets_It_Go_Instead_Of_Going_Back_To_The_Pool()
    {
        await using var host = await XdsTestHost.StartAsync(database.ConnectionString);
        var feed = host.Services.GetRequiredService<FeedStatus>();
        await Eventually.TrueAsync(() => feed.State == FeedState.Live);
        var first = await ListenerAsync(other: 0);

        // The log's table away: the next catch-up (a poll) fails while the LISTEN connection is still fine, so the
        // feed lets that connection go and opens another. A connection of the server's pool would go back to it, its
        // backend idle there (still listening, with no reset to UNLISTEN it).
        await ExecuteAsync("ALTER TABLE changes RENAME TO changes_away");
        try
        {
            await Eventually.TrueAsync(() => host.Metrics.Get("mesh_xds_feed_errors_total") >= 1);
        }
        finally
        {
            await ExecuteAsync("ALTER TABLE changes_away RENAME TO changes");
        }

        await Eventually.TrueAsync(() => feed.State == FeedState.Live);
        Assert.NotEqual(first, await ListenerAsync(other: first));
        await Eventually.TrueAsync(async () => await CountAsync($"SELECT count(*) FROM pg_stat_activity WHERE pid = {first}") == 0);
    }

    [Fact]
    public void The_Listen_Connections_Are_Unpooled_Whatever_The_Operator_Wrote()
    {
        var listen = new NpgsqlConnectionStringBuilder(
            ListenConnections.Unpooled($"{ConnectionStrings.Example};Pooling=true;Multiplexing=true;Application Name=xds-1;Keepalive=30"));

        Assert.False(listen.Pooling);
        Assert.False(listen.Multiplexing);
        Assert.Equal(("127.0.0.1", "mesh", "xds-1", 30), (listen.Host, listen.Database, listen.ApplicationName, listen.KeepAlive));
    }

    [Fact]
    public async Task A_Connection_Back_In_The_Servers_Pool_Keeps_Its_Session()
    {
        await using var host = await XdsTestHost.StartAsync(database.ConnectionString);

        Assert.Equal("kept", await MarkerAfterAReturnAsync(host.Services.GetRequiredService<NpgsqlDataSource>()));
    }

    [Fact]
    public async Task An_Operator_Who_Wrote_No_Reset_On_Close_False_Gets_The_Reset()
    {
        await using var host = await XdsTestHost.StartAsync($"{database.ConnectionString};No Reset On Close=false");

        Assert.Equal("", await MarkerAfterAReturnAsync(host.Services.GetRequiredService<NpgsqlDataSource>()));
    }

    /// <summary>
    /// Sets a session variable on a connection of <paramref name="source"/>, gives it back, then takes connections
    /// (holding them) until the pool hands out the same one again, and reads the variable there.
    /// </summary>
    private static async Task<string> MarkerAfterAReturnAsync(NpgsqlDataSource source)
    {
        int marked;
        await using (var connection = await source.OpenConnectionAsync(TaskTimeouts.Token()))
        {
            marked = connection.ProcessID;
            await using var set = new NpgsqlCommand("SET mesh_test.marker = 'kept'", connection);
            await set.ExecuteNonQueryAsync(TaskTimeouts.Token());
        }

        var held = new List<NpgsqlConnection>();
        try
        {
            NpgsqlConnection? again = null;
            while (again is null && held.Count < 50)
            {
                var connection = await source.OpenConnectionAsync(TaskTimeouts.Token());
                held.Add(connection);
                again = connection.ProcessID == marked ? connection : null;
            }

            Assert.NotNull(again);
            await using var read = new NpgsqlCommand("SELECT coalesce(current_setting('mesh_test.marker', true), '')", again);
            return (string)(await read.ExecuteScalarAsync(TaskTimeouts.Token()))!;
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>The backend listening on the feed's channel in this database other than <paramref name="other"/>, once there is one.</summary>
    private async Task<int> ListenerAsync(int other)
    {
        var pid = 0;
        await Eventually.TrueAsync(async () =>
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync(TaskTimeouts.Token());
            await using var find = new NpgsqlCommand(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = @listen AND pid <> @other", connection);
            find.Parameters.AddWithValue("listen", Listen);
            find.Parameters.AddWithValue("other", other);
            pid = await find.ExecuteScalarAsync(TaskTimeouts.Token()) is int found ? found : 0;
            return pid != 0;
        });
        return pid;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(TaskTimeouts.Token());
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TaskTimeouts.Token());
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(TaskTimeouts.Token());
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(TaskTimeouts.Token()));
    }
}
