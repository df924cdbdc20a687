namespace Mesh.XdsServer.Hosting;

/// <summary>The body of <c>GET /healthz</c>.</summary>
public sealed record HealthReport(string Status, string Feed, long FeedWatermark, int Streams, int ProxyIdentities, int Meshes);
