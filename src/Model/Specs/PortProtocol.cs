using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>PortProtocol</c>; serialised as the model's string values.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayPortProtocol</c>.</remarks>
[JsonConverter(typeof(JsonStringEnumConverter<PortProtocol>))]
public enum PortProtocol
{
    [JsonStringEnumMemberName("http")]
    Http,

    [JsonStringEnumMemberName("tcp")]
    Tcp,

    [JsonStringEnumMemberName("http2")]
    Http2,

    [JsonStringEnumMemberName("grpc")]
    Grpc,
}
