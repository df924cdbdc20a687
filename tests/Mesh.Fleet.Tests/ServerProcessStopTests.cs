using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

/// <summary>
/// The storm's stop of a server: SIGTERM sent by the fleet itself (no kill(1) child), the exit waited for on a thread
/// of its own, and the output read to its end afterwards, as a step of its own, so the stop's phases are in the log.
/// </summary>
public class ServerProcessStopTests
{
    [Fact]
    public async Task A_Server_That_Exits_On_SIGTERM_Is_Not_Killed_And_Its_Last_Lines_Are_In_The_Log()
    {
        var log = Path.Combine(Directory.CreateTempSubdirectory("mesh-fleet-stop-").FullName, "server.log");
        using var server = ServerProcess.Start("bash",
            ["-c", "trap 'echo stopping on TERM; exit 0' TERM; echo ready; while true; do sleep 0.05; done"],
            new Dictionary<string, string>(), log);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            while (!File.ReadAllText(log).Contains("ready", StringComparison.Ordinal))
            {
                await Task.Delay(20, timeout.Token);
            }
        }

        var (_, killed) = await server.StopAsync();

        Assert.False(killed);
        Assert.True(server.Exited);
        await server.OutputEndedAsync();
        Assert.Contains("stopping on TERM", File.ReadAllText(log), StringComparison.Ordinal);
    }
}
