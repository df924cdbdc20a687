using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpScheme</c>; serialised as the model's string values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HttpScheme>))]
public enum HttpScheme
{
    [JsonStringEnumMemberName("http")]
    Http,

    [JsonStringEnumMemberName("https")]
    Https,
}
