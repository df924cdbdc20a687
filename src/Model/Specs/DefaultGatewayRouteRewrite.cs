using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>DefaultGatewayRouteRewrite</c>; serialised as the model's string values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DefaultGatewayRouteRewrite>))]
public enum DefaultGatewayRouteRewrite
{
    [JsonStringEnumMemberName("ENABLED")]
    Enabled,

    [JsonStringEnumMemberName("DISABLED")]
    Disabled,
}
