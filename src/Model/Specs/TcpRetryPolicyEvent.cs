using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>TcpRetryPolicyEvent</c>; serialised as the model's string values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TcpRetryPolicyEvent>))]
public enum TcpRetryPolicyEvent
{
    [JsonStringEnumMemberName("connection-error")]
    ConnectionError,
}
