using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>VirtualServiceSpec</c>.</summary>
public sealed record VirtualServiceSpec
{
    [JsonPropertyName("provider")]
    public VirtualServiceProvider? Provider { get; init; }
}
