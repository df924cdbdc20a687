using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>IpPreference</c>; serialised as the model's string values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IpPreference>))]
public enum IpPreference
{
    [JsonStringEnumMemberName("IPv6_PREFERRED")]
    IPv6Preferred,

    [JsonStringEnumMemberName("IPv4_PREFERRED")]
    IPv4Preferred,

    [JsonStringEnumMemberName("IPv4_ONLY")]
    IPv4Only,

    [JsonStringEnumMemberName("IPv6_ONLY")]
    IPv6Only,
}
