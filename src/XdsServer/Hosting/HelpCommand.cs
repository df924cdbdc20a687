using System.Reflection;

namespace Mesh.XdsServer.Hosting;

/// <summary>
/// <c>--help</c>, <c>-h</c>, <c>help</c> and <c>--version</c>, answered before any configuration is read: they never
/// start the server (which would take <c>--help</c> for a configuration key and the next argument for its value).
/// </summary>
public static class HelpCommand
{
    public const string Usage = """
        Mesh.XdsServer: the xDS server. Follows the meshes in PostgreSQL and serves them to Envoy and proxyless gRPC
        clients over ADS (state of the world and delta), the per-type discovery services and CSDS.

        Usage:
          Mesh.XdsServer [--Key=value]...      serve (gRPC on Xds:GrpcUrl, /healthz, /readyz, /metrics on Xds:AdminUrl)
          Mesh.XdsServer proxy-status [--url <admin url>]... [--json]   every connected proxy's sync state
          Mesh.XdsServer help | --help | -h    this text
          Mesh.XdsServer --version             the version

        Configuration (environment variables with __ for :, appsettings.json, or --Key=value arguments):
          ConnectionStrings:Mesh   the API's PostgreSQL database (migrated with Mesh.Migrations)
          Xds:GrpcUrl              default http://127.0.0.1:18000 (h2c; TLS with Xds:Tls:CertificatePath and KeyPath)
          Xds:AdminUrl             default http://127.0.0.1:18001
          Xds:ListenBacklog        connections the kernel queues before the server accepts them (default 4096; capped by net.core.somaxconn)
          Xds:TransportWriteBufferBytes  bytes a connection may hold unsent before writes wait (default 0: no limit; Kestrel's own is 65536)
          Xds:PushesInFlight       streams writing a route change's push at once, the rest wait in order (default 1000; 0: no bound)
          Xds:Auth:Mode            SigV4 (default; needs Mesh:Auth:MasterKey, the API's), MutualTls, or None (local only)
          Mesh:Region, Mesh:AccountId, Xds:Feed:*, Xds:ProxyStatus:Peers, Xds:Registration:*: README.md and src/XdsServer/README.md
        """;

    /// <summary>The exit code (0) when <paramref name="args"/> ask for help or the version; null otherwise.</summary>
    public static async Task<int?> TryRunAsync(string[] args, TextWriter output)
    {
        if (args.Contains("--version"))
        {
            var version = typeof(HelpCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            await output.WriteLineAsync($"Mesh.XdsServer {version}");
            return 0;
        }

        if (args is ["help" or "--help" or "-h", ..])
        {
            await output.WriteLineAsync(Usage);
            return 0;
        }

        return null;
    }
}
