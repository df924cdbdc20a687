namespace Mesh.Model.Observability;

/// <summary>The tracers a mesh can send spans to; App Mesh's three (X-Ray, Datadog, Jaeger) plus Zipkin and OpenTelemetry.</summary>
public enum TracingProvider
{
    /// <summary>Zipkin v2 spans as JSON over HTTP (<c>/api/v2/spans</c>).</summary>
    Zipkin,

    /// <summary>The same Zipkin protocol against Jaeger's Zipkin-compatible collector, as App Mesh's Jaeger option did.</summary>
    Jaeger,

    /// <summary>OTLP over gRPC to an OpenTelemetry collector.</summary>
    OpenTelemetry,

    /// <summary>The Datadog agent's trace intake.</summary>
    Datadog,

    /// <summary>Segments over UDP to an AWS X-Ray daemon.</summary>
    XRay,
}
