using System.Net;
using Mesh.XdsServer.Hosting.Buffers;
using Microsoft.Extensions.Configuration;

namespace Mesh.XdsServer.Hosting;

/// <summary>Where the server listens (configuration section <c>Xds</c>).</summary>
public sealed class XdsOptions
{
    public const string Section = "Xds";

    /// <summary>gRPC over cleartext HTTP/2 (h2c): ADS, the per-type discovery services and CSDS.</summary>
    public string GrpcUrl { get; set; } = "http://127.0.0.1:18000";

    /// <summary>HTTP admin endpoint: <c>GET /healthz</c>, <c>GET /readyz</c>, Prometheus <c>GET /metrics</c> and <c>GET /proxy-status</c>.</summary>
    public string AdminUrl { get; set; } = "http://127.0.0.1:18001";

    /// <summary>
    /// How many connections the kernel may hold for the gRPC and admin ports before the server accepts them (the
    /// <c>listen(2)</c> backlog; Linux caps it at <c>net.core.somaxconn</c>, 4096 by default since 5.4). Kestrel's
    /// own default is 512: when a replica stops or restarts, every proxy it served connects again within about a
    /// second, and beyond the backlog the kernel drops their handshakes, each retried only after a 1–3 s timeout.
    /// </summary>
    public int ListenBacklog { get; set; } = DefaultListenBacklog;

    public const int DefaultListenBacklog = 4096;

    /// <summary>
    /// Whether a stopping server keeps its gRPC port listening, without accepting, until the process exits (true by
    /// default; only for a fixed port, which <see cref="XdsPortAtStart"/> listens on). The stop closes Kestrel's
    /// listener first, so no proxy starts a stream on a server that is going away, but the port itself stays open: a
    /// proxy that reconnects during the stop waits in its backlog instead of being refused, and is reset once, at the
    /// exit. A restarted server's proxies were refused again and again through the stop, and each refusal doubles an
    /// Envoy's backoff (500 ms up to 30 s), which is what set how long the last of them took to come back
    /// (docs/benchmarks.md, issue13br). Set false where proxies reach other replicas by their own addresses (an xDS
    /// cluster listing several servers): a refusal sends such a proxy to another replica at once, a held connection
    /// only when this server has exited.
    /// </summary>
    public bool HoldPortWhileStopping { get; set; } = true;

    /// <summary>
    /// How long the start's database check (<see cref="SetupCheckAtStart"/>) waits for PostgreSQL before the server
    /// starts without it: a misconfigured database (not migrated, another master key) stops the start only if it
    /// answers within this time. A database that is down must not hold the start for long (the feed retries), so it
    /// is short by default; one slow to answer at start (a loaded machine, a cold cache) may need longer.
    /// </summary>
    public TimeSpan StartCheckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Bytes the socket transport may hold unsent on one connection before Kestrel's flushes wait (its
    /// <c>MaxWriteBufferSize</c>; Kestrel's own default is 64 KiB); 0, the default, for no limit. With a limit, a
    /// connection that has more than it unsent when the server stops (a large push to a slow proxy, or a starved
    /// machine) loses its GOAWAY and stream trailers: Kestrel buffers them behind the pending flush and discards that
    /// buffer when it closes the connection, and the proxy sees INTERNAL instead of UNAVAILABLE (docs/benchmarks.md,
    /// issue13aa). Without one, what a proxy can be sent unread is bounded by its HTTP/2 windows.
    /// </summary>
    public long TransportWriteBufferBytes { get; set; }

    /// <summary>
    /// Which memory Kestrel's socket transport buffers in: <c>Heap</c>, the default (the server's pool of ordinary
    /// arrays, <see cref="KestrelBlockPools"/>), or <c>Pinned</c> (Kestrel's own pool on the pinned object heap).
    /// Read when the host is built (<see cref="KestrelBuffersOf"/>); here for the settings' documentation.
    /// </summary>
    /// <remarks>
    /// The default since the twenty-sixth pass: with 16 KiB blocks (<see cref="DefaultHeapBlockSize"/>), 10,000
    /// proxies connected with 3–32% less server CPU per proxy than with Kestrel's pool in all six alternated pairs
    /// on a quiet machine (sotw-every, delta-every, sotw-first), a steady change cost less CPU in five of six, and
    /// the idle RSS per proxy was level to 8 KiB higher (docs/benchmarks.md, the twenty-sixth pass's decisions).
    /// </remarks>
    public KestrelBufferKind KestrelBuffers { get; set; } = KestrelBufferKind.Heap;

    /// <summary><c>Xds:KestrelBuffers</c> from configuration; a value that is not a kind stops the start.</summary>
    public static KestrelBufferKind KestrelBuffersOf(IConfiguration configuration)
    {
        var value = configuration[$"{Section}:{nameof(KestrelBuffers)}"];
        if (string.IsNullOrEmpty(value))
        {
            return KestrelBufferKind.Heap;
        }

        return Enum.TryParse<KestrelBufferKind>(value, ignoreCase: true, out var kind) && Enum.IsDefined(kind)
            ? kind
            : throw new XdsConfigurationException($"Xds:KestrelBuffers '{value}' is not one of Pinned, Heap.");
    }

    /// <summary>
    /// Bytes in each block of the server's pool (<c>Heap</c> only; <see cref="DefaultHeapBlockSize"/> by default):
    /// Kestrel's pipes use the whole block they get, so larger blocks receive a proxy's ~49 KB request (its node on
    /// every request) in fewer socket reads and pipe segments. Read when the host is built (<see cref="KestrelBlockSizeOf"/>).
    /// </summary>
    public int KestrelBlockSize { get; set; } = DefaultHeapBlockSize;

    /// <summary>
    /// The heap pool's block size when none is set: a quarter of the socket reads of Kestrel's 4 KiB for a stock
    /// Envoy's ~49 KB request, and still small-object arrays.
    /// </summary>
    public const int DefaultHeapBlockSize = 16384;

    /// <summary>Below the large object heap's 85,000 bytes, so that heap blocks stay ordinary small-object arrays.</summary>
    public const int MaxKestrelBlockSize = 65536;

    /// <summary>
    /// <c>Xds:KestrelBlockSize</c> from configuration (unset: <see cref="DefaultHeapBlockSize"/> for the heap pool,
    /// 4096 for Kestrel's); a value that is not a whole number from 4096 to 65536 stops the start, and so does one
    /// other than 4096 with <c>Xds:KestrelBuffers=Pinned</c> (Kestrel's own pool's size is fixed).
    /// </summary>
    public static int KestrelBlockSizeOf(IConfiguration configuration)
    {
        var value = configuration[$"{Section}:{nameof(KestrelBlockSize)}"];
        if (string.IsNullOrEmpty(value))
        {
            return KestrelBuffersOf(configuration) == KestrelBufferKind.Heap ? DefaultHeapBlockSize : BlockPool.DefaultBlockSize;
        }

        if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size)
            || size < BlockPool.DefaultBlockSize || size > MaxKestrelBlockSize)
        {
            throw new XdsConfigurationException($"Xds:KestrelBlockSize '{value}' is not a number of bytes from {BlockPool.DefaultBlockSize} to {MaxKestrelBlockSize}.");
        }

        if (size != BlockPool.DefaultBlockSize && KestrelBuffersOf(configuration) != KestrelBufferKind.Heap)
        {
            throw new XdsConfigurationException($"Xds:KestrelBlockSize {size} needs Xds:KestrelBuffers=Heap: Kestrel's own pool's blocks are always {BlockPool.DefaultBlockSize} bytes.");
        }

        return size;
    }

    /// <summary>
    /// Seconds the server's pool (<c>Heap</c> only) keeps enough blocks for the most that were out at once: a route
    /// change needs more than the connect did, and blocks freed in between are allocated again inside the next change
    /// (docs/benchmarks.md, issue13ac). 0 frees idle blocks by halves every 10 s whatever was needed before.
    /// Read when the host is built (<see cref="KestrelBlocksKeptOf"/>).
    /// </summary>
    public int KestrelBlocksKeptSeconds { get; set; } = DefaultKestrelBlocksKeptSeconds;

    public const int DefaultKestrelBlocksKeptSeconds = 300;

    /// <summary><c>Xds:KestrelBlocksKeptSeconds</c> from configuration; a value that is not a whole number of seconds stops the start.</summary>
    public static TimeSpan KestrelBlocksKeptOf(IConfiguration configuration)
        => WholeSecondsOf(configuration, nameof(KestrelBlocksKeptSeconds), DefaultKestrelBlocksKeptSeconds, "0 or more");

    /// <summary>
    /// Seconds the server must be quiet after a burst (proxies connecting, a route change) before one aggressive full
    /// collection gives the GC's free memory back (<see cref="Memory.IdleMemoryTrim"/>); 0 turns it off. Without it an
    /// idle server keeps what its last burst committed (docs/benchmarks.md, issue13ai).
    /// Read when the host is built (<see cref="MemoryTrimQuietOf"/>).
    /// </summary>
    public int MemoryTrimQuietSeconds { get; set; } = DefaultMemoryTrimQuietSeconds;

    public const int DefaultMemoryTrimQuietSeconds = 10;

    /// <summary><c>Xds:MemoryTrimQuietSeconds</c> from configuration; a value that is not a whole number of seconds stops the start.</summary>
    public static TimeSpan MemoryTrimQuietOf(IConfiguration configuration)
        => WholeSecondsOf(configuration, nameof(MemoryTrimQuietSeconds), DefaultMemoryTrimQuietSeconds, "0 turns the trim off");

    /// <summary>
    /// How many streams may be writing a push at once (<see cref="Protocol.PushGate"/>): a stream takes a slot to write a
    /// snapshot's responses and gives it back when the write completes (its bytes handed on to the socket), or when
    /// the gate finds the write stalled or held past <see cref="PushSlotHoldMilliseconds"/>, so a route change's
    /// responses wait in Kestrel's pool for about that many streams, not all of them. 0 for no bound.
    /// </summary>
    public int PushesInFlight { get; set; } = DefaultPushesInFlight;

    /// <summary>1000 slots: at 10,000 proxies the gate then kept the pool's blocks and the change's p99 down (docs/benchmarks.md, issue13ak and the seventeenth pass, issue13ao).</summary>
    public const int DefaultPushesInFlight = 1000;

    /// <summary>Milliseconds a push slot is held by a write that neither completes nor is found stalled before it is given back anyway: the last resort (3000 by default, docs/benchmarks.md, issue13ak, issue13ao).</summary>
    public int PushSlotHoldMilliseconds { get; set; } = DefaultPushSlotHoldMilliseconds;

    public const int DefaultPushSlotHoldMilliseconds = 3000;

    /// <summary><c>Xds:PushesInFlight</c> from configuration (<see cref="DefaultPushesInFlight"/> when absent, 0 for no bound); anything but a whole number of 0 or more stops the start.</summary>
    public static int PushesInFlightOf(IConfiguration configuration) => WholeNumberOf(configuration, nameof(PushesInFlight), DefaultPushesInFlight, 0);

    /// <summary><c>Xds:PushSlotHoldMilliseconds</c> from configuration; anything but a whole number of 1 or more stops the start.</summary>
    public static TimeSpan PushSlotHoldOf(IConfiguration configuration) =>
        TimeSpan.FromMilliseconds(WholeNumberOf(configuration, nameof(PushSlotHoldMilliseconds), DefaultPushSlotHoldMilliseconds, 1));

    private static int WholeNumberOf(IConfiguration configuration, string name, int defaultValue, int least)
    {
        var value = configuration[$"{Section}:{name}"];
        if (string.IsNullOrEmpty(value))
        {
            return defaultValue;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number >= least
            ? number
            : throw new XdsConfigurationException($"Xds:{name} '{value}' is not a whole number of {least} or more.");
    }

    /// <summary>A setting of whole seconds (0 or more) from configuration, its default when absent; anything else stops the start.</summary>
    private static TimeSpan WholeSecondsOf(IConfiguration configuration, string name, int defaultSeconds, string hint)
    {
        var value = configuration[$"{Section}:{name}"];
        if (string.IsNullOrEmpty(value))
        {
            return TimeSpan.FromSeconds(defaultSeconds);
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : throw new XdsConfigurationException($"Xds:{name} '{value}' is not a whole number of seconds ({hint}).");
    }

    /// <summary>Why the listen settings cannot be used, or null.</summary>
    public string? Problem() =>
        EndpointProblem(nameof(GrpcUrl), GrpcUrl) ?? EndpointProblem(nameof(AdminUrl), AdminUrl)
        ?? (ListenBacklog < 1 ? $"Xds:ListenBacklog ({ListenBacklog}) must be at least 1." : null)
        ?? (StartCheckTimeout < TimeSpan.FromSeconds(1) || StartCheckTimeout > TimeSpan.FromMinutes(10)
            ? $"Xds:StartCheckTimeout ({StartCheckTimeout}) must be between 00:00:01 and 00:10:00." : null)
        ?? (TransportWriteBufferBytes < 0 ? $"Xds:TransportWriteBufferBytes ({TransportWriteBufferBytes}) must be 0 (no limit) or more." : null);

    /// <summary>
    /// The address and port a listen URL names: a literal IP address, <c>localhost</c> (loopback), or <c>*</c>,
    /// <c>+</c>, <c>0.0.0.0</c>, <c>[::]</c> for every interface.
    /// </summary>
    public static IPEndPoint EndpointOf(string url)
    {
        var uri = new Uri(url);
        var address = uri.Host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "+" or "0.0.0.0" => IPAddress.Any,
            "[::]" => IPAddress.IPv6Any,
            _ => IPAddress.Parse(uri.Host.Trim('[', ']')),
        };
        return new IPEndPoint(address, uri.Port);
    }

    private static string? EndpointProblem(string setting, string url)
    {
        try
        {
            EndpointOf(url);
            return null;
        }
        catch (Exception e) when (e is UriFormatException or FormatException or ArgumentException)
        {
            return $"Xds:{setting} '{url}' is not a listen URL: http://<IP address, localhost or 0.0.0.0>:<port> (e.g. http://0.0.0.0:18000).";
        }
    }
}
