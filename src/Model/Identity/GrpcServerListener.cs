namespace Mesh.Model.Identity;

/// <summary>
/// How an xDS-enabled gRPC server (gRFC A36) names the Listener it asks for: its bootstrap's
/// <c>server_listener_resource_name_template</c> with <c>%s</c> replaced by the address it bound (<c>IP:PORT</c>,
/// an IPv6 address in brackets). Mesh's gRPC bootstraps set <see cref="Template"/>, and the xDS server offers
/// servers' listeners under it: one place, so the two cannot drift apart.
/// </summary>
public static class GrpcServerListener
{
    public const string Template = "grpc/server?xds.resource.listening_address=%s";

    /// <summary>The Listener name a server bound to <paramref name="address"/> asks for.</summary>
    public static string NameFor(string address) => Template.Replace("%s", address, StringComparison.Ordinal);
}
