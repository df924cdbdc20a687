using System.Globalization;
using Mesh.Migrations;
using Npgsql;

namespace Mesh.Testing;

/// <summary>
/// A PostgreSQL server for tests, and the place fresh, migrated databases come from.
/// The server is, in order: <c>MESH_TEST_DATABASE</c> (a connection string) when set; a Testcontainers
/// container when a Docker engine answers; otherwise a throwaway cluster from the machine's binaries.
/// </summary>
/// <remarks>
/// The schema is migrated once into a template database; every <see cref="CreateDatabaseAsync"/> copies
/// it with <c>CREATE DATABASE … TEMPLATE</c>, which takes milliseconds.
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string EnvironmentVariable = "MESH_TEST_DATABASE";

    private const string StampPrefix = "mesh-test created ";
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(3);

    private static readonly SemaphoreSlim SharedLock = new(1, 1);
    private static PostgresServer? _shared;

    private readonly IPostgresBackend _backend;
    private readonly SemaphoreSlim _templateLock = new(1, 1);
    private readonly string _prefix = $"mesh_{Guid.NewGuid().ToString("N")[..10]}";
    private readonly bool _isShared;
    private string? _templateName;
    private int _databaseCount;

    private PostgresServer(IPostgresBackend backend, bool isShared)
    {
        _backend = backend;
        _isShared = isShared;
    }

    public PostgresSource Source => _backend.Source;

    /// <summary>A server-level connection string (the <c>postgres</c> database, or the one MESH_TEST_DATABASE names).</summary>
    public string ConnectionString => _backend.AdminConnectionString;

    /// <summary>True for servers this process started (local cluster or container); false for MESH_TEST_DATABASE.</summary>
    public bool CanRestart => _backend.CanRestart;

    /// <summary>The one server every <see cref="PostgresDatabase"/> in this test process shares, started on first use.</summary>
    public static async Task<PostgresServer> GetSharedAsync(CancellationToken cancellationToken = default)
    {
        if (_shared is { } shared)
        {
            return shared;
        }

        await SharedLock.WaitAsync(cancellationToken);
        try
        {
            if (_shared is null)
            {
                var fromEnvironment = System.Environment.GetEnvironmentVariable(EnvironmentVariable);
                var backend = string.IsNullOrWhiteSpace(fromEnvironment)
                    ? await StartBackendAsync(durableCommits: false, cancellationToken)
                    : new ExternalBackend(fromEnvironment);
                _shared = new PostgresServer(backend, isShared: true);
            }

            return _shared;
        }
        finally
        {
            SharedLock.Release();
        }
    }

    /// <summary>
    /// A server of the caller's own, for tests that stop, crash or restart PostgreSQL. It ignores
    /// MESH_TEST_DATABASE (that server is not ours to stop). Its commits are durable, so a crash loses
    /// nothing that was acknowledged, as in production. Dispose it when done.
    /// </summary>
    public static async Task<PostgresServer> StartDedicatedAsync(CancellationToken cancellationToken = default)
        => new(await StartBackendAsync(durableCommits: true, cancellationToken), isShared: false);

    /// <summary>Creates a database holding the current schema and no rows, and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var template = await EnsureTemplateAsync(cancellationToken);
        var name = $"{_prefix}_{Interlocked.Increment(ref _databaseCount)}";
        await ExecuteAsync($"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"", cancellationToken);
        await StampAsync(name, cancellationToken);
        return DatabaseConnectionString(name);
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing any connections still open to it.</summary>
    public async Task DropDatabaseAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database
            ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        using (var pooled = new NpgsqlConnection(connectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", cancellationToken);
    }

    /// <summary>Stops the server; connections fail until <see cref="StartAsync"/>. Only when <see cref="CanRestart"/>.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfShared();
        return _backend.StopAsync(cancellationToken);
    }

    /// <summary>Starts a stopped server again, on the same address, with its data kept.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfShared();
        return _backend.StartAsync(cancellationToken);
    }

    /// <summary>Stops the server as a crash would (immediate shutdown, recovery at the next start). Only when <see cref="CanRestart"/>.</summary>
    public Task CrashAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfShared();
        return _backend.CrashAsync(cancellationToken);
    }

    /// <summary>Freezes the server (SIGSTOP): it accepts connections and answers nothing until <see cref="ResumeAsync"/>.</summary>
    public Task PauseAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfShared();
        return _backend.PauseAsync(cancellationToken);
    }

    public Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfShared();
        return _backend.ResumeAsync(cancellationToken);
    }

    /// <summary>Stops and starts the server; every open connection breaks, the data and connection strings stay valid.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken);
        await StartAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // The shared server lives as long as the process; its backend cleans up on process exit.
        if (_isShared)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await _backend.DisposeAsync();
        _templateLock.Dispose();
    }

    public override string ToString() => $"{Source}: {_backend}";

    private static async Task<IPostgresBackend> StartBackendAsync(bool durableCommits, CancellationToken cancellationToken)
    {
        if (await DockerEngine.AnswersAsync(cancellationToken))
        {
            return await ContainerBackend.StartNewAsync(durableCommits, cancellationToken);
        }

        var binaries = LocalClusterBackend.FindBinaries()
            ?? throw new InvalidOperationException(
                $"No PostgreSQL for tests: set {EnvironmentVariable} to a connection string, start a Docker engine, " +
                "or install the PostgreSQL server binaries (apt-get install postgresql; or set MESH_PG_BIN).");
        return await LocalClusterBackend.StartNewAsync(binaries, durableCommits, cancellationToken);
    }

    private async Task<string> EnsureTemplateAsync(CancellationToken cancellationToken)
    {
        if (_templateName is { } ready)
        {
            return ready;
        }

        await _templateLock.WaitAsync(cancellationToken);
        try
        {
            if (_templateName is null)
            {
                if (Source == PostgresSource.Environment)
                {
                    await DropAbandonedDatabasesAsync(cancellationToken);
                }

                var name = $"{_prefix}_template";
                await ExecuteAsync($"CREATE DATABASE \"{name}\"", cancellationToken);
                await StampAsync(name, cancellationToken);

                // No pooling: CREATE DATABASE … TEMPLATE fails while any session is connected to the template.
                var migrate = new NpgsqlConnectionStringBuilder(DatabaseConnectionString(name)) { Pooling = false };
                try
                {
                    await MeshMigrator.MigrateAsync(migrate.ConnectionString, cancellationToken);
                }
                catch
                {
                    // Leave nothing half-migrated: the next test class retries and reports the same real error.
                    await DropQuietlyAsync(name);
                    throw;
                }
                _templateName = name;
                if (Source == PostgresSource.Environment)
                {
                    // Best effort only: the test host may be killed before this runs. The stamp lets a later
                    // run drop what this one left (DropAbandonedDatabasesAsync).
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => DropQuietlyAsync(name).GetAwaiter().GetResult();
                }
            }

            return _templateName;
        }
        finally
        {
            _templateLock.Release();
        }
    }

    private string DatabaseConnectionString(string database)
        => new NpgsqlConnectionStringBuilder(ConnectionString) { Database = database }.ConnectionString;

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Marks a database as made by this fixture, with its creation time, for <see cref="DropAbandonedDatabasesAsync"/>.</summary>
    private Task StampAsync(string database, CancellationToken cancellationToken)
        => ExecuteAsync(
            $"COMMENT ON DATABASE \"{database}\" IS '{StampPrefix}{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}'",
            cancellationToken);

    /// <summary>
    /// On a server that outlives test runs (MESH_TEST_DATABASE), drops the databases earlier runs made and
    /// could not drop (a killed test host) once they are older than any test run can be.
    /// </summary>
    private async Task DropAbandonedDatabasesAsync(CancellationToken cancellationToken)
    {
        var cutoff = DateTimeOffset.UtcNow.Subtract(AbandonedAfter).ToUnixTimeSeconds();
        var abandoned = new List<string>();
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false };
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE shobj_description(oid, 'pg_database') LIKE @prefix",
                connection);
            command.Parameters.AddWithValue("prefix", StampPrefix + "%");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (long.TryParse(reader.GetString(1)[StampPrefix.Length..], CultureInfo.InvariantCulture, out var createdAt) && createdAt < cutoff)
                {
                    abandoned.Add(reader.GetString(0));
                }
            }
        }

        foreach (var database in abandoned)
        {
            await ExecuteAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", cancellationToken);
        }
    }

    private async Task DropQuietlyAsync(string database)
    {
        try
        {
            await ExecuteAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // Best effort: a leftover database is uniquely named, stamped, and dropped by a later run.
        }
    }

    private void ThrowIfShared()
    {
        if (_isShared)
        {
            throw new InvalidOperationException(
                "The shared test server is used by other test classes; use PostgresServer.StartDedicatedAsync() or DedicatedPostgresDatabase to stop or restart one.");
        }

        if (!CanRestart)
        {
            throw new NotSupportedException("This server cannot be stopped or restarted by tests.");
        }
    }
}
