using Mesh.Security;
using Mesh.Api.Bootstrap;
using Mesh.Bootstrap;

namespace Mesh.Api.Commands;

/// <summary>
/// <c>Mesh.Api bootstrap --node … [--xds host:port] …</c>: prints a complete Envoy bootstrap for a virtual node or
/// gateway, or with <c>--grpc</c> a proxyless gRPC application's (see <see cref="BootstrapArguments.Usage"/>). It reads only configuration, never the database.
/// </summary>
public static class BootstrapCommand
{
    public static bool Handles(string[] args) => args is ["bootstrap", ..];

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output)
    {
        if (args is [_, "--help" or "-h"])
        {
            await output.WriteLineAsync(BootstrapArguments.Usage);
            return 0;
        }

        try
        {
            var values = BootstrapArguments.FromCommandLine(args[1..]);
            var (text, mediaType) = BootstrapArguments.Render(values, BootstrapEndpoints.DefaultXds(configuration), BootstrapEndpoints.Region(configuration));
            await output.WriteAsync(mediaType == "application/json" ? text + "\n" : text);
            return 0;
        }
        catch (ArgumentException error)
        {
            await output.WriteLineAsync(error.Message + Environment.NewLine + BootstrapArguments.Usage);
            return 2;
        }
    }
}
