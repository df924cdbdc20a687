using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>DurationUnit</c>; serialised as the model's string values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DurationUnit>))]
public enum DurationUnit
{
    [JsonStringEnumMemberName("s")]
    Seconds,

    [JsonStringEnumMemberName("ms")]
    Milliseconds,
}
