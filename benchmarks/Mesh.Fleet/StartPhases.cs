using System.Globalization;
using System.Text.RegularExpressions;

namespace Mesh.Fleet;

/// <summary>
/// Where a started xDS server's time went before it served, from its log, each phase in time after its process
/// started: its gRPC port listening (event 70, from a server that listens before it builds; otherwise when Kestrel
/// started), the warm-up done (event 300), Kestrel accepting (the host's "Now listening on" for the gRPC port), the
/// first load's first snapshot (event 100) and the load done (event 20), and how many streams waited for the load: the
/// count event 20 gives, or from a server before that count, the streams that logged that they waited (event 8). The
/// times come from the log's timestamps, which the fleet asks its servers for (UTC,
/// <see cref="TimestampSettings"/>); a log without them gives only the counts and event 70's own figure.
/// </summary>
internal sealed partial record StartPhases(
    TimeSpan? PortListening,
    bool ListenedEarly,
    TimeSpan? WarmUpDone,
    TimeSpan? Accepting,
    TimeSpan? FirstSnapshot,
    TimeSpan? FirstLoadDone,
    int StreamsWaitedForTheLoad)
{
    /// <summary>
    /// The settings that make a server's console log stamp each entry with its UTC time, as this reads it. The formatter
    /// is named: without a name the console logger copies its own (obsolete, unset) timestamp options over the
    /// formatter's, and no timestamp appears.
    /// </summary>
    public static readonly string[] TimestampSettings =
        ["Logging:Console:FormatterName=simple", "Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.fff ", "Logging:Console:FormatterOptions:UseUtcTimestamp=true"];

    [GeneratedRegex(@"^(\d\d:\d\d:\d\d\.\d{3}) (?:trce|dbug|info|warn|fail|crit): (\S+)\[(\d+)\]")]
    private static partial Regex EntryLine();

    [GeneratedRegex(@"^(?:trce|dbug|info|warn|fail|crit): (\S+)\[(\d+)\]")]
    private static partial Regex UnstampedEntryLine();

    [GeneratedRegex(@"; (\d+) streams had waited for the load")]
    private static partial Regex WaitedCount();

    [GeneratedRegex(@"listening (\d+) ms after the process started")]
    private static partial Regex ListeningLine();

    /// <summary>The phases in a server's log; <paramref name="startedUtc"/> is when its process was started.</summary>
    public static StartPhases Of(IEnumerable<string> log, DateTime startedUtc, int grpcPort)
    {
        TimeSpan? early = null, warmUp = null, accepting = null, firstSnapshot = null, loaded = null;
        var waited = 0;
        var loadSeen = false;
        TimeSpan? at = null;
        var category = "";
        var eventId = 0;
        foreach (var line in log)
        {
            if (EntryLine().Match(line) is { Success: true } stamped)
            {
                at = Since(startedUtc, stamped.Groups[1].Value);
                (category, eventId) = (stamped.Groups[2].Value, int.Parse(stamped.Groups[3].Value, CultureInfo.InvariantCulture));
                continue;
            }

            if (UnstampedEntryLine().Match(line) is { Success: true } entry)
            {
                at = null;
                (category, eventId) = (entry.Groups[1].Value, int.Parse(entry.Groups[2].Value, CultureInfo.InvariantCulture));
                continue;
            }

            // The entry's message, on the lines after its header.
            switch (category, eventId)
            {
                case ("Mesh.XdsServer.Hosting", 70) when ListeningLine().Match(line) is { Success: true } listening:
                    early = TimeSpan.FromMilliseconds(long.Parse(listening.Groups[1].Value, CultureInfo.InvariantCulture));
                    break;
                case (_, 300) when category.EndsWith("XdsWarmUp", StringComparison.Ordinal):
                    warmUp ??= at;
                    break;
                case ("Microsoft.Hosting.Lifetime", 14) when line.EndsWith($":{grpcPort}", StringComparison.Ordinal):
                    accepting ??= at;
                    break;
                case ("Mesh.XdsServer.Protocol", 8) when !loadSeen:
                    waited++;
                    break;
                case ("Mesh.XdsServer.Snapshots.SnapshotProducer", 100):
                    firstSnapshot ??= at;
                    break;
                case ("Mesh.XdsServer.Feed.PostgresChangeFeed", 20):
                    loaded ??= at;
                    if (!loadSeen && WaitedCount().Match(line) is { Success: true } count)
                    {
                        waited = int.Parse(count.Groups[1].Value, CultureInfo.InvariantCulture);
                    }

                    loadSeen = true;
                    break;
            }

            (category, eventId) = ("", 0);
        }

        return new StartPhases(early ?? accepting, early is not null, warmUp, accepting, firstSnapshot, loaded, waited);
    }

    /// <summary>The phases of the server whose log is at <paramref name="path"/>; none when it cannot be read.</summary>
    public static StartPhases OfFile(string path, DateTime startedUtc, int grpcPort)
    {
        try
        {
            return Of(File.ReadLines(path), startedUtc, grpcPort);
        }
        catch (IOException)
        {
            return new StartPhases(null, false, null, null, null, null, 0);
        }
    }

    /// <summary>For the storm's line: each phase in seconds after the process started.</summary>
    public string Describe() =>
        $"its port listening {Seconds(PortListening)}{(ListenedEarly ? " (before it built)" : " (when Kestrel started)")}, warm-up done {Seconds(WarmUpDone)}, " +
        $"accepting {Seconds(Accepting)}, first load's first snapshot {Seconds(FirstSnapshot)}, first load done {Seconds(FirstLoadDone)} after its start; " +
        $"{StreamsWaitedForTheLoad} streams waited for the first load";

    private static string Seconds(TimeSpan? value) => value is { } v ? $"{v.TotalSeconds:F1} s" : "(not logged)";

    /// <summary>A UTC time of day from the log, as time after the process's start (the next day's, past midnight).</summary>
    private static TimeSpan Since(DateTime startedUtc, string timeOfDay)
    {
        var time = TimeSpan.ParseExact(timeOfDay, @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
        var since = startedUtc.Date + time - startedUtc;
        return since < TimeSpan.FromHours(-12) ? since + TimeSpan.FromDays(1) : since;
    }
}
