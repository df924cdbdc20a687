using System.Globalization;
using System.Text.RegularExpressions;

namespace Mesh.Fleet;

/// <summary>
/// Where a stopped xDS server's time went, from the lines its stop logs (StopListeningFirst): its connections closed
/// (or reset at the stop's bound), then the host's other services stopped, each in ms after its stop began; what comes
/// after is the container's disposal and the process's exit, which the fleet times itself from the SIGTERM.
/// </summary>
internal sealed partial record StopPhases(TimeSpan? ConnectionsClosed, bool Reset, TimeSpan? ServicesStopped)
{
    [GeneratedRegex(@"Stopped listening: (every connection closed|connections still open) (\d+) ms after the stop began")]
    private static partial Regex ClosedLine();

    [GeneratedRegex(@"the host's services stopped (\d+) ms after the stop began")]
    private static partial Regex StoppedLine();

    /// <summary>The phases in a server's log; null ones were not logged (a server from before these lines).</summary>
    public static StopPhases Of(IEnumerable<string> log)
    {
        TimeSpan? closed = null, stopped = null;
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
        }

        return new StopPhases(closed, reset, stopped);
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
          $"{(ServicesStopped is { } stopped ? $"{stopped.TotalSeconds:F1} s" : "(not logged)")} after its stop began; exited {exited.TotalSeconds:F1} s after SIGTERM";

    private static TimeSpan Milliseconds(string value) => TimeSpan.FromMilliseconds(long.Parse(value, CultureInfo.InvariantCulture));
}
