using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>EgressFilterType</c>; serialised as the model's string values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EgressFilterType>))]
public enum EgressFilterType
{
    [JsonStringEnumMemberName("ALLOW_ALL")]
    AllowAll,

    [JsonStringEnumMemberName("DROP_ALL")]
    DropAll,
}
