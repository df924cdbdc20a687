namespace Mesh.XdsServer.Hosting;

/// <summary>The body of <c>GET /healthz</c> and <c>GET /readyz</c>. <see cref="Status"/> is "ok" when ready to serve, "starting" before the first load.</summary>
public sealed record HealthReport(string Status, string Feed, long FeedWatermark, int Streams, int ProxyIdentities, int Meshes);
