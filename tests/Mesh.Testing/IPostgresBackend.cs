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

    /// <summary>Stops the server the way a crash would: no checkpoint, every connection cut; recovery runs at the next start.</summary>
    Task CrashAsync(CancellationToken cancellationToken);

    /// <summary>Freezes every server process (SIGSTOP): connections stay open and new ones are accepted, but nothing answers.</summary>
    Task PauseAsync(CancellationToken cancellationToken);

    Task ResumeAsync(CancellationToken cancellationToken);
}
