using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>GrpcRetryPolicyEvent</c>; serialised as the model's string values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GrpcRetryPolicyEvent>))]
public enum GrpcRetryPolicyEvent
{
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    [JsonStringEnumMemberName("deadline-exceeded")]
    DeadlineExceeded,

    [JsonStringEnumMemberName("internal")]
    Internal,

    [JsonStringEnumMemberName("resource-exhausted")]
    ResourceExhausted,

    [JsonStringEnumMemberName("unavailable")]
    Unavailable,
}
