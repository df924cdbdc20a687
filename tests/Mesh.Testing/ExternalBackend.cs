namespace Mesh.Testing;

/// <summary>A server someone else runs, named by <c>MESH_TEST_DATABASE</c>. It is never stopped or restarted.</summary>
internal sealed class ExternalBackend(string connectionString) : IPostgresBackend
{
    public PostgresSource Source => PostgresSource.Environment;

    public string AdminConnectionString { get; } = connectionString;

    public bool CanRestart => false;

    public Task StopAsync(CancellationToken cancellationToken)
        => throw new NotSupportedException("A server from MESH_TEST_DATABASE cannot be stopped by tests.");

    public Task StartAsync(CancellationToken cancellationToken)
        => throw new NotSupportedException("A server from MESH_TEST_DATABASE cannot be started by tests.");

    public Task CrashAsync(CancellationToken cancellationToken) => StopAsync(cancellationToken);

    public Task PauseAsync(CancellationToken cancellationToken) => StopAsync(cancellationToken);

    public Task ResumeAsync(CancellationToken cancellationToken) => StartAsync(cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
