namespace Mesh.Testing;

/// <summary>Where a <see cref="PostgresServer"/> came from.</summary>
public enum PostgresSource
{
    /// <summary>The connection string in <c>MESH_TEST_DATABASE</c>.</summary>
    Environment,

    /// <summary>A container started through Testcontainers.</summary>
    Testcontainers,

    /// <summary>A throwaway cluster started from the machine's PostgreSQL binaries.</summary>
    LocalBinaries,
}
