namespace Mesh.Api.Tests.Infrastructure;

/// <summary>
/// An API host with <c>Mesh:ReadCache</c> off (it is on by default): every Describe reads its row from PostgreSQL.
/// </summary>
public class UncachedApiServer : ApiServer
{
    public UncachedApiServer() => Settings["Mesh:ReadCache:Enabled"] = "false";
}
