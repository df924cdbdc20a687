using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

/// <summary>The storm's report reads a started server's phases from its log's timestamps and lines.</summary>
public class StartPhasesTests
{
    private static readonly DateTime Started = new(2026, 12, 2, 16, 0, 0, 500, DateTimeKind.Utc);

    [Fact]
    public void The_Phases_Are_Read_From_The_Timestamps_After_The_Process_Start()
    {
        var phases = StartPhases.Of(
        [
            "16:00:00.900 info: Mesh.XdsServer.Hosting[70]",
            "      xDS port 127.0.0.1:19500 listening 412 ms after the process started: its connections wait in the backlog (up to 4096) until the server accepts them",
            "16:00:02.100 info: Mesh.XdsServer.Hosting.WarmUp.XdsWarmUp[300]",
            "      Warm-up done before listening in 1153 ms (1064 ms of CPU; the JIT compiled 2491 methods in 365 ms; 40 route changes)",
            "16:00:02.300 info: Microsoft.Hosting.Lifetime[14]",
            "      Now listening on: http://127.0.0.1:19500",
            "16:00:02.310 info: Microsoft.Hosting.Lifetime[14]",
            "      Now listening on: http://127.0.0.1:19501",
            "16:00:03.000 info: Mesh.XdsServer.Protocol[8]",
            "      Stream 2 is waiting: waiting for mesh/fleet/virtualNode/client-10 (account 111122223333) to be created",
            "16:00:03.100 info: Mesh.XdsServer.Protocol[8]",
            "      Stream 1 is waiting: waiting for mesh/fleet/virtualNode/client-16 (account 111122223333) to be created",
            "16:00:09.500 info: Mesh.XdsServer.Snapshots.SnapshotProducer[100]",
            "      New snapshot for 111122223333:mesh/fleet/virtualNode/client-49: version 1501e35365d812fc, 256 resources",
            "16:00:10.000 info: Mesh.XdsServer.Feed.PostgresChangeFeed[20]",
            "      Change feed loaded 30 meshes up to change 394224",
            "16:00:11.000 info: Mesh.XdsServer.Protocol[8]",
            "      Stream 9 is waiting: waiting for mesh/fleet/virtualNode/gone (account 111122223333) to be created",
        ], Started, 19500);

        Assert.True(phases.ListenedEarly);
        Assert.Equal(TimeSpan.FromMilliseconds(412), phases.PortListening);
        Assert.Equal(TimeSpan.FromMilliseconds(1600), phases.WarmUpDone);
        Assert.Equal(TimeSpan.FromMilliseconds(1800), phases.Accepting);
        Assert.Equal(TimeSpan.FromSeconds(9), phases.FirstSnapshot);
        Assert.Equal(TimeSpan.FromMilliseconds(9500), phases.FirstLoadDone);
        Assert.Equal(2, phases.StreamsWaitedForTheLoad);
        Assert.Equal("its port listening 0.4 s (before it built), warm-up done 1.6 s, accepting 1.8 s, first load's first snapshot 9.0 s, first load done 9.5 s after its start; " +
            "2 streams waited for the first load", phases.Describe());
    }

    [Fact]
    public void The_Streams_That_Waited_Are_The_Count_The_Loaded_Line_Gives()
    {
        // A server that logs each such stream at Debug only, and says how many in the feed's line.
        var phases = StartPhases.Of(
        [
            "16:00:10.000 info: Mesh.XdsServer.Feed.PostgresChangeFeed[20]",
            "      Change feed loaded 2 meshes up to change 802; 9991 streams had waited for the load",
            "16:00:11.000 info: Mesh.XdsServer.Protocol[8]",
            "      Stream 10009 is waiting: waiting for mesh/fleet/virtualNode/gone (account 111122223333) to be created",
        ], Started, 19500);

        Assert.Equal(9991, phases.StreamsWaitedForTheLoad);
        Assert.EndsWith("; 9991 streams waited for the first load", phases.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_Server_That_Listens_When_Kestrel_Starts_Has_Its_Port_Listening_Then()
    {
        var phases = StartPhases.Of(
        [
            "16:00:03.500 info: Microsoft.Hosting.Lifetime[14]",
            "      Now listening on: http://127.0.0.1:19500",
        ], Started, 19500);

        Assert.False(phases.ListenedEarly);
        Assert.Equal(TimeSpan.FromSeconds(3), phases.PortListening);
        Assert.Null(phases.FirstLoadDone);
    }

    [Fact]
    public void A_Log_Past_Midnight_Is_The_Next_Days()
    {
        var phases = StartPhases.Of(
        [
            "00:00:01.000 info: Mesh.XdsServer.Feed.PostgresChangeFeed[20]",
            "      Change feed loaded 1 meshes up to change 10",
        ], new DateTime(2026, 12, 2, 23, 59, 59, 0, DateTimeKind.Utc), 19500);

        Assert.Equal(TimeSpan.FromSeconds(2), phases.FirstLoadDone);
    }

    [Fact]
    public void A_Log_Without_Timestamps_Gives_The_Counts_Only()
    {
        var phases = StartPhases.Of(
        [
            "info: Mesh.XdsServer.Protocol[8]",
            "      Stream 2 is waiting: waiting for mesh/fleet/virtualNode/client-10 (account 111122223333) to be created",
            "info: Mesh.XdsServer.Feed.PostgresChangeFeed[20]",
            "      Change feed loaded 30 meshes up to change 394224",
        ], Started, 19500);

        Assert.Equal(1, phases.StreamsWaitedForTheLoad);
        Assert.Null(phases.FirstLoadDone);
        Assert.Contains("first load done (not logged)", phases.Describe(), StringComparison.Ordinal);
    }
}
