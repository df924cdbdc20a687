using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>App Mesh <c>Duration</c>: <c>{"unit": "s"|"ms", "value": n}</c>.</summary>
public sealed record Duration
{
    [JsonPropertyName("unit")]
    public DurationUnit? Unit { get; init; }

    [JsonPropertyName("value")]
    public long? Value { get; init; }

    /// <summary>
    /// The longest duration Envoy takes: a <c>google.protobuf.Duration</c> holds at most 315,576,000,000 seconds (10,000
    /// years). The API refuses a longer one (<c>SpecRules</c>).
    /// </summary>
    public const long MaxSeconds = 315_576_000_000;

    /// <summary>
    /// The duration as a <see cref="TimeSpan"/>, or null when <see cref="Value"/> is missing.
    /// A missing unit is read as seconds, the unit every App Mesh example uses. A value stored before the API refused
    /// longer ones is read as the longest Envoy takes, which is as good as forever, rather than failing the
    /// translation of every proxy that uses it.
    /// </summary>
    public TimeSpan? ToTimeSpan() => Value is not { } v
        ? null
        : Unit == DurationUnit.Milliseconds
            ? TimeSpan.FromMilliseconds(Math.Min(v, MaxSeconds * 1000))
            : TimeSpan.FromSeconds(Math.Min(v, MaxSeconds));

    public static Duration FromSeconds(long seconds) => new() { Unit = DurationUnit.Seconds, Value = seconds };

    public static Duration FromMilliseconds(long milliseconds) => new() { Unit = DurationUnit.Milliseconds, Value = milliseconds };
}
