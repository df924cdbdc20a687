using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

/// <summary>The storm's report reads a stopped server's phases from the lines its stop logs.</summary>
public class StopPhasesTests
{
    [Fact]
    public void The_Close_And_The_Services_Stop_Are_Read_From_The_Log()
    {
        var phases = StopPhases.Of(
        [
            "info: Mesh.XdsServer.Hosting[28]",
            "      Stopping: no new connections; 5000 streams end with UNAVAILABLE as their connections are asked to close (GOAWAY), within 00:00:20",
            "info: Mesh.XdsServer.Hosting[30]",
            "      Stopped listening: every connection closed 1364 ms after the stop began",
            "info: Mesh.XdsServer.Hosting[31]",
            "      Stopped: the host's services stopped 1872 ms after the stop began",
        ]);

        Assert.Equal(TimeSpan.FromMilliseconds(1364), phases.ConnectionsClosed);
        Assert.False(phases.Reset);
        Assert.Equal(TimeSpan.FromMilliseconds(1872), phases.ServicesStopped);
        Assert.Null(phases.Cost); // a server from before the cost's line
        Assert.Equal("its connections all closed 1.4 s and its other services stopped 1.9 s after its stop began; exited 2.5 s after SIGTERM",
            phases.Describe(TimeSpan.FromSeconds(2.5)));
    }

    [Fact]
    public void What_The_Stop_Cost_Is_Read_From_The_Log_And_Reported_After_Its_Phases()
    {
        var phases = StopPhases.Of(
        [
            "      Stopped listening: every connection closed 5210 ms after the stop began",
            "      Stopped: the host's services stopped 5480 ms after the stop began",
            "info: Mesh.XdsServer.Hosting[37]",
            "      Stopped: the stop cost 6120 ms of process CPU and 812 MB allocated; 14 garbage collections (3 of generation 1 or 2, 1 of generation 2) paused the process 1430 ms",
        ]);

        Assert.Equal(new StopCost(TimeSpan.FromMilliseconds(6120), 812, 14, 1, TimeSpan.FromMilliseconds(1430)), phases.Cost);
        Assert.Equal("its connections all closed 5.2 s and its other services stopped 5.5 s after its stop began; exited 6.0 s after SIGTERM; " +
            "the stop used 6.1 s of its CPU, allocated 812 MB and paused 1.43 s for 14 garbage collections (1 of generation 2)",
            phases.Describe(TimeSpan.FromSeconds(6)));
    }

    [Fact]
    public void Connections_Reset_At_The_Stops_Bound_Are_Not_Reported_As_Closed()
    {
        var phases = StopPhases.Of(["      Stopped listening: connections still open 20079 ms after the stop began were reset (38 streams had not ended within 00:00:20)"]);

        Assert.True(phases.Reset);
        Assert.Equal(TimeSpan.FromMilliseconds(20079), phases.ConnectionsClosed);
        Assert.StartsWith("its connections reset at the stop's bound 20.1 s", phases.Describe(TimeSpan.FromSeconds(22.1)));
    }

    [Fact]
    public void A_Server_That_Logs_No_Phases_Is_Said_So()
    {
        var phases = StopPhases.Of(["info: Microsoft.Hosting.Lifetime[0]", "      Application is shutting down..."]);

        Assert.Null(phases.ConnectionsClosed);
        Assert.Equal("its stop's phases not logged; exited 14.9 s after SIGTERM", phases.Describe(TimeSpan.FromSeconds(14.9)));
    }
}
