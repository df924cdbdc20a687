namespace Mesh.Api.Tests.Infrastructure;

/// <summary>
/// An API host with <c>Mesh:ReadCache</c> on: its own database, or, given another host, a second replica on that
/// host's database and master key.
/// </summary>
public sealed class CachedApiServer : ApiServer
{
    public CachedApiServer() => EnableReadCache();

    public CachedApiServer(ApiServer primary)
        : base(primary) => EnableReadCache();

    private void EnableReadCache() => Settings["Mesh:ReadCache:Enabled"] = "true";
}
