using System.Globalization;
using System.Text.RegularExpressions;

namespace Mesh.Fleet;

/// <summary>
/// Where a stopped xDS server's time went, from the lines its stop logs (StopListeningFirst): its connections closed
/// (or reset at the stop's bound), then the host's other services stopped, each in ms after its stop began; what comes
/// after is the container's disposal and the process's exit, which the fleet times itself from the SIGTERM. Then what
/// the stop cost the process, with the garbage collector's pauses in it.
/// </summary>
internal sealed partial record StopPhases(TimeSpan? ConnectionsClosed, bool Reset, TimeSpan? ServicesStopped, StopCost? Cost = null)
{
    [GeneratedRegex(@"the stop cost (\d+) ms of process CPU and (\d+) MB allocated; (\d+) garbage collections \((\d+) of generation 1 or 2, (\d+) of generation 2\) paused the process (\d+) ms")]
    private static partial Regex CostLine();

    [GeneratedRegex(@"Stopped listening: (every connection closed|connections still open) (\d+) ms after the stop began")]
    private static partial Regex ClosedLine();

    [GeneratedRegex(@"the host's services stopped (\d+) ms after the stop began")]
    private static partial Regex StoppedLine();

    /// <summary>The phases in a server's log; null ones were not logged (a server from before these lines).</summary>
    public static StopPhases Of(IEnumerable<string> log)
    {
        TimeSpan? closed = null, stopped = null;
        StopCost? cost = null;
        var reset = false;
        foreach (var line in log)
        {
            if (ClosedLine().Match(line) is { Success: true } c)
            {
                closed = Milliseconds(c.Groups[2].Value);
                reset = c.Groups[1].Value == "connections still open";
            }
            else if (StoppedLine().Match(line) is { Success: true } s)
            {
                stopped = Milliseconds(s.Groups[1].Value);
            }
            else if (CostLine().Match(line) is { Success: true } k)
            {
                cost = new StopCost(Milliseconds(k.Groups[1].Value), Number(k.Groups[2].Value), (int)Number(k.Groups[3].Value),
                    (int)Number(k.Groups[5].Value), Milliseconds(k.Groups[6].Value));
            }
        }

        return new StopPhases(closed, reset, stopped, cost);
    }

    /// <summary>The phases of the server whose log is at <paramref name="path"/>; none when it cannot be read.</summary>
    public static StopPhases OfFile(string path)
    {
        try
        {
            return Of(File.ReadLines(path));
        }
        catch (IOException)
        {
            return new StopPhases(null, false, null);
        }
    }

    /// <summary>For the storm's line: each phase from the server's stop, and the exit from the SIGTERM.</summary>
    public string Describe(TimeSpan exited) => ConnectionsClosed is not { } closed
        ? $"its stop's phases not logged; exited {exited.TotalSeconds:F1} s after SIGTERM"
        : $"its connections {(Reset ? "reset at the stop's bound" : "all closed")} {closed.TotalSeconds:F1} s and its other services stopped " +
          $"{(ServicesStopped is { } stopped ? $"{stopped.TotalSeconds:F1} s" : "(not logged)")} after its stop began; exited {exited.TotalSeconds:F1} s after SIGTERM" +
          (Cost is { } cost
              ? $"; the stop used {cost.Cpu.TotalSeconds:F1} s of its CPU, allocated {cost.AllocatedMb} MB and paused {cost.Paused.TotalSeconds:F2} s " +
                $"for {cost.Collections} garbage collections ({cost.Gen2Collections} of generation 2)"
              : "");

    private static TimeSpan Milliseconds(string value) => TimeSpan.FromMilliseconds(Number(value));

    private static long Number(string value) => long.Parse(value, CultureInfo.InvariantCulture);
}

/// <summary>What a server's stop cost it, as it logged: CPU, allocations, and the collector's collections and pauses.</summary>
internal sealed record StopCost(TimeSpan Cpu, long AllocatedMb, int Collections, int Gen2Collections, TimeSpan Paused);
