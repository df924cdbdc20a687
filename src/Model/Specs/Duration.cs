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
    /// The duration as a <see cref="TimeSpan"/>, or null when <see cref="Value"/> is missing.
    /// A missing unit is read as seconds, the unit every App Mesh example uses.
    /// </summary>
    public TimeSpan? ToTimeSpan() => Value is not { } v
        ? null
        : Unit == DurationUnit.Milliseconds ? TimeSpan.FromMilliseconds(v) : TimeSpan.FromSeconds(v);

    public static Duration FromSeconds(long seconds) => new() { Unit = DurationUnit.Seconds, Value = seconds };

    public static Duration FromMilliseconds(long milliseconds) => new() { Unit = DurationUnit.Milliseconds, Value = milliseconds };
}
