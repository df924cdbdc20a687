using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>HttpMethod</c>; serialised as the model's string values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HttpMethod>))]
public enum HttpMethod
{
    [JsonStringEnumMemberName("GET")]
    Get,

    [JsonStringEnumMemberName("HEAD")]
    Head,

    [JsonStringEnumMemberName("POST")]
    Post,

    [JsonStringEnumMemberName("PUT")]
    Put,

    [JsonStringEnumMemberName("DELETE")]
    Delete,

    [JsonStringEnumMemberName("CONNECT")]
    Connect,

    [JsonStringEnumMemberName("OPTIONS")]
    Options,

    [JsonStringEnumMemberName("TRACE")]
    Trace,

    [JsonStringEnumMemberName("PATCH")]
    Patch,
}
