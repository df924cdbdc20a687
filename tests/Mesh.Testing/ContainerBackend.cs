using System.Net;
using System.Net.Sockets;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Mesh.Testing;

/// <summary>PostgreSQL in a container. Testcontainers' reaper removes it if the test process dies.</summary>
internal sealed class ContainerBackend : IPostgresBackend
{
    /// <summary>Pinned like docker-compose.yml, so tests and the compose stack see the same server.</summary>
    public const string Image = "postgres:15.8";

    private readonly PostgreSqlContainer _container;
    private readonly int _hostPort;

    private ContainerBackend(PostgreSqlContainer container, int hostPort)
    {
        _container = container;
        _hostPort = hostPort;
    }

    public PostgresSource Source => PostgresSource.Testcontainers;

    public string AdminConnectionString => new NpgsqlConnectionStringBuilder(_container.GetConnectionString())
    {
        Database = "postgres",
    }.ConnectionString;

    public bool CanRestart => true;

    /// <param name="durableCommits">synchronous_commit=on, so a crashed server keeps every acknowledged transaction.</param>
    public static async Task<ContainerBackend> StartNewAsync(bool durableCommits, CancellationToken cancellationToken)
    {
        // A fixed host port keeps the connection string valid across a restart.
        var hostPort = FreePort();
        var container = new PostgreSqlBuilder(Image)
            .WithPortBinding(hostPort, PostgreSqlBuilder.PostgreSqlPort)
            .WithCommand("-c", "fsync=off", "-c", durableCommits ? "synchronous_commit=on" : "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300")
            .Build();
        await container.StartAsync(cancellationToken);
        return new ContainerBackend(container, hostPort);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _container.StopAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => _container.StartAsync(cancellationToken);

    public async Task CrashAsync(CancellationToken cancellationToken)
    {
        // The official image runs the server as "postgres" and ships gosu to step down from root.
        await _container.ExecAsync(["gosu", "postgres", "pg_ctl", "-D", "/var/lib/postgresql/data", "-m", "immediate", "stop"], cancellationToken);
        await _container.StopAsync(cancellationToken);
    }

    public Task PauseAsync(CancellationToken cancellationToken) => _container.PauseAsync(cancellationToken);

    public Task ResumeAsync(CancellationToken cancellationToken) => _container.UnpauseAsync(cancellationToken);

    public ValueTask DisposeAsync() => _container.DisposeAsync();

    public override string ToString() => $"{Image} on 127.0.0.1:{_hostPort}";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
