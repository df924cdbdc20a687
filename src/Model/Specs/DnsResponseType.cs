using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>DnsResponseType</c>; serialised as the model's string values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DnsResponseType>))]
public enum DnsResponseType
{
    [JsonStringEnumMemberName("LOADBALANCER")]
    Loadbalancer,

    [JsonStringEnumMemberName("ENDPOINTS")]
    Endpoints,
}
