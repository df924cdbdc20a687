namespace Mesh.Model.Observability;

/// <summary>
/// A mesh's tracing settings, read from its tags (<see cref="MeshTracingTags"/>).
/// <paramref name="SamplingPercent"/> is null when the tags leave it to the provider's default.
/// </summary>
public sealed record MeshTracing(TracingProvider Provider, TracingCollector Collector, double? SamplingPercent);
