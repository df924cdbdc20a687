using Mesh.Security;

namespace Mesh.XdsServer.Auth;

/// <summary>Finds an active access key by id (the same keys as the API: <see cref="AccessKeyStore"/>).</summary>
public interface IProxyKeyStore
{
    Task<ActiveKey?> FindActiveAsync(string accessKeyId, CancellationToken cancellationToken);
}

/// <summary>The keys in PostgreSQL, read on every stream open so that a revocation applies to the next connection.</summary>
public sealed class DatabaseProxyKeyStore(AccessKeyStore keys) : IProxyKeyStore
{
    public Task<ActiveKey?> FindActiveAsync(string accessKeyId, CancellationToken cancellationToken) => keys.FindActiveAsync(accessKeyId, cancellationToken);
}
