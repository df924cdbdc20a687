using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>ListenerTlsMode</c>; serialised as the model's string values.</summary>
/// <remarks>Also stands for the model's structurally identical <c>VirtualGatewayListenerTlsMode</c>.</remarks>
[JsonConverter(typeof(JsonStringEnumConverter<ListenerTlsMode>))]
public enum ListenerTlsMode
{
    [JsonStringEnumMemberName("STRICT")]
    Strict,

    [JsonStringEnumMemberName("PERMISSIVE")]
    Permissive,

    [JsonStringEnumMemberName("DISABLED")]
    Disabled,
}
