namespace Mesh.Fleet;

/// <summary>How a stuck proxy fails its server (<c>--stuck</c>): from just after its connect until the run ends.</summary>
internal enum StuckAs
{
    None,

    /// <summary>Reads every response but writes no request (no ACK, no NACK): a proxy paused between read and answer, or whose answers are lost.</summary>
    NeverAnswer,

    /// <summary>Stops reading its socket: its HTTP/2 windows close and the server's writes to it wait, as for a paused or partitioned proxy.</summary>
    StopReading,
}

/// <summary>Which proxies of the fleet are stuck and how (<c>--stuck PERCENT --stuck-as ...</c>).</summary>
internal sealed record StuckProxies(int Percent, string As)
{
    public static readonly StuckProxies None = new(0, "both");

    /// <summary>
    /// Spread evenly through the fleet (so every client node and every part of the connect order has its share); with
    /// <c>both</c> they alternate between never answering and not reading.
    /// </summary>
    public StuckAs Of(int proxy)
    {
        if (Percent <= 0 || proxy * Percent / 100 == (proxy + 1) * Percent / 100)
        {
            return StuckAs.None;
        }

        return As switch
        {
            "never-answer" => StuckAs.NeverAnswer,
            "stop-reading" => StuckAs.StopReading,
            _ => proxy * Percent / 100 % 2 == 0 ? StuckAs.NeverAnswer : StuckAs.StopReading,
        };
    }

    public string Describe => Percent <= 0 ? "none" : $"{Percent}% ({As})";
}
