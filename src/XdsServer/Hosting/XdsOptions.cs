namespace Mesh.XdsServer.Hosting;

/// <summary>Where the server listens (configuration section <c>Xds</c>).</summary>
public sealed class XdsOptions
{
    /// <summary>gRPC over cleartext HTTP/2 (h2c): ADS, the per-type discovery services and CSDS.</summary>
    public string GrpcUrl { get; set; } = "http://127.0.0.1:18000";

    /// <summary>HTTP admin endpoint: <c>GET /healthz</c> and Prometheus <c>GET /metrics</c>.</summary>
    public string AdminUrl { get; set; } = "http://127.0.0.1:18001";
}
