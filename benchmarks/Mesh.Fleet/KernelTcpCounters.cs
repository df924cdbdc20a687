using System.Globalization;

namespace Mesh.Fleet;

/// <summary>
/// The kernel's TCP counters that tell what happened to connections no process saw: SYNs and handshakes dropped
/// because a listener's accept queue was full, SYN cookies sent instead of queued requests, and resets sent. Read
/// from /proc/net/netstat and /proc/net/snmp (the whole network namespace: other processes on the machine count too,
/// so only a phase's difference means anything, and only when nothing else opens connections by the thousand).
/// </summary>
internal sealed record KernelTcpCounters(IReadOnlyDictionary<string, long> Values)
{
    private static readonly string[] Shown =
    [
        "TcpExt:ListenOverflows", "TcpExt:ListenDrops", "TcpExt:TCPReqQFullDoCookies", "TcpExt:TCPReqQFullDrop",
        "TcpExt:SyncookiesSent", "TcpExt:SyncookiesRecv", "TcpExt:SyncookiesFailed", "TcpExt:TCPAbortOnData",
        "TcpExt:TCPAbortOnClose", "Tcp:AttemptFails", "Tcp:EstabResets", "Tcp:OutRsts",
    ];

    public static KernelTcpCounters Read()
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in new[] { "/proc/net/netstat", "/proc/net/snmp" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            // Each group is two lines: "Prefix: name name …" then "Prefix: value value …".
            var lines = File.ReadAllLines(file);
            for (var i = 0; i + 1 < lines.Length; i += 2)
            {
                var names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var numbers = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var prefix = names[0].TrimEnd(':');
                for (var j = 1; j < Math.Min(names.Length, numbers.Length); j++)
                {
                    if (long.TryParse(numbers[j], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                    {
                        values[$"{prefix}:{names[j]}"] = value;
                    }
                }
            }
        }

        return new KernelTcpCounters(values);
    }

    /// <summary>The counters that moved since <paramref name="before"/>, as "name +n" (none: "no change").</summary>
    public string Since(KernelTcpCounters before)
    {
        var moved = Shown
            .Select(name => (name, delta: Values.GetValueOrDefault(name) - before.Values.GetValueOrDefault(name)))
            .Where(c => c.delta != 0)
            .Select(c => $"{c.name[(c.name.IndexOf(':') + 1)..]} +{c.delta}")
            .ToList();
        return moved.Count == 0 ? "no change" : string.Join(", ", moved);
    }
}
