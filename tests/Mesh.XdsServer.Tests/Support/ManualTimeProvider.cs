namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// A clock that moves only when a test says so. <see cref="Advance"/> moves both the wall clock and the monotonic
/// timestamp; <see cref="StepWallClock"/> moves the wall clock alone, as an NTP step or an operator would.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _timestamp = 1_000_000;

    public override DateTimeOffset GetUtcNow() => _now;

    public override long GetTimestamp() => _timestamp;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by)
    {
        _now += by;
        _timestamp += by.Ticks;
    }

    public void StepWallClock(TimeSpan by) => _now += by;
}
