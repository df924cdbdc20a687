using Mesh.Api.WebConsole;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Tests.WebConsole;

/// <summary>The console's in-memory sessions: bounded overall and per key, so that one key cannot crowd out the others.</summary>
public sealed class ConsoleSessionsTests
{
    /// <summary>The overall bound (ConsoleSessions.MaxSessions) and the default sessions per key (ConsoleOptions.MaxSessionsPerKey).</summary>
    private const int Overall = 10_000;
    private const int PerKey = 20;

    [Fact]
    public void OneKeySigningInPastTheOverallBound_EvictsOnlyItsOwnOldestSessions()
    {
        var sessions = new ConsoleSessions(Options.Create(new ConsoleOptions()), TimeProvider.System);
        var others = sessions.Create("MKIAOTHERKEY00000000");

        var flood = Enumerable.Range(0, Overall).Select(_ => sessions.Create("MKIAFLOODKEY00000000")).ToList();

        Assert.NotNull(sessions.Find(others.Id));
        Assert.Equal(PerKey, flood.Count(s => sessions.Find(s.Id) is not null));
        Assert.All(flood.TakeLast(PerKey), s => Assert.NotNull(sessions.Find(s.Id)));
    }
}
