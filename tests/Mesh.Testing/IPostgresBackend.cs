namespace Mesh.Testing;

/// <summary>One way of having a PostgreSQL server; <see cref="PostgresServer"/> adds databases on top.</summary>
internal interface IPostgresBackend : IAsyncDisposable
{
    PostgresSource Source { get; }

    /// <summary>A connection string for a database that can run CREATE DATABASE.</summary>
    string AdminConnectionString { get; }

    bool CanRestart { get; }

    Task StopAsync(CancellationToken cancellationToken);

    Task StartAsync(CancellationToken cancellationToken);
}
