using System.Diagnostics;

namespace Mesh.XdsServer.Diagnostics;

/// <summary>
/// The xDS server's own spans. They cover the work a change causes (reading a mesh, validating it, rebuilding
/// the snapshots of its proxies), not the long-lived streams, which would make spans hours long.
/// </summary>
public static class XdsTracing
{
    public const string SourceName = "Mesh.XdsServer";

    public static readonly ActivitySource Source = new(SourceName);
}
