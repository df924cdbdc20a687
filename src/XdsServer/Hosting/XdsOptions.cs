using System.Net;

namespace Mesh.XdsServer.Hosting;

/// <summary>Where the server listens (configuration section <c>Xds</c>).</summary>
public sealed class XdsOptions
{
    public const string Section = "Xds";

    /// <summary>gRPC over cleartext HTTP/2 (h2c): ADS, the per-type discovery services and CSDS.</summary>
    public string GrpcUrl { get; set; } = "http://127.0.0.1:18000";

    /// <summary>HTTP admin endpoint: <c>GET /healthz</c>, <c>GET /readyz</c>, Prometheus <c>GET /metrics</c> and <c>GET /proxy-status</c>.</summary>
    public string AdminUrl { get; set; } = "http://127.0.0.1:18001";

    /// <summary>Why the listen addresses cannot be used, or null.</summary>
    public string? Problem() =>
        EndpointProblem(nameof(GrpcUrl), GrpcUrl) ?? EndpointProblem(nameof(AdminUrl), AdminUrl);

    /// <summary>
    /// The address and port a listen URL names: a literal IP address, <c>localhost</c> (loopback), or <c>*</c>,
    /// <c>+</c>, <c>0.0.0.0</c>, <c>[::]</c> for every interface.
    /// </summary>
    public static IPEndPoint EndpointOf(string url)
    {
        var uri = new Uri(url);
        var address = uri.Host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "+" or "0.0.0.0" => IPAddress.Any,
            "[::]" => IPAddress.IPv6Any,
            _ => IPAddress.Parse(uri.Host.Trim('[', ']')),
        };
        return new IPEndPoint(address, uri.Port);
    }

    private static string? EndpointProblem(string setting, string url)
    {
        try
        {
            EndpointOf(url);
            return null;
        }
        catch (Exception e) when (e is UriFormatException or FormatException or ArgumentException)
        {
            return $"Xds:{setting} '{url}' is not a listen URL: http://<IP address, localhost or 0.0.0.0>:<port> (e.g. http://0.0.0.0:18000).";
        }
    }
}
