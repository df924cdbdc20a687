using Mesh.Model.Identity;

namespace Mesh.Api;

/// <summary>
/// The "Mesh" configuration section as the API host reads it: the region and account every host shares
/// (<see cref="AccountOptions"/>) and the API's own settings. The section is bound by this one type.
/// </summary>
public sealed class MeshApiOptions : AccountOptions
{
    public QuotaOptions Quotas { get; set; } = new();

    /// <summary>
    /// How long one API call may take before it is answered with ServiceUnavailableException: a database that
    /// hangs (stopped, not gone) must not hang callers. Far above any call's normal time.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the start's database check (<see cref="Setup.SetupCheckAtStart"/>) waits for PostgreSQL before the
    /// host starts without it: a misconfigured database (not migrated, another master key) stops the start only if
    /// it answers within this time. A database that is down must not hold the start for long, so it is short by
    /// default; a database that is slow to answer at start (a loaded machine, a cold cache) may need longer.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan StartCheckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether Describe and List read through Npgsql's multiplexing (<see cref="Resources.ReadDatabase"/>): many
    /// concurrent reads share a few connections and are sent and answered together.
    /// </summary>
    public bool ReadMultiplexing { get; set; } = true;

    /// <summary>
    /// The most resource writes (create, update and delete: one statement each) this API process runs in PostgreSQL at
    /// once; more wait for a slot, within their deadline (<see cref="RequestTimeout"/>). Four a core of this machine by
    /// default (<see cref="Resources.WriteSlots"/> says why).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, Resources.WriteSlots.MaxCount, ErrorMessage = "Mesh:WritesInFlight must be from 1 to 1024")]
    public int WritesInFlight { get; set; } = Resources.WriteSlots.DefaultCount;

    /// <summary>Describe answered from memory behind a read barrier ("Mesh:ReadCache").</summary>
    public ReadCacheOptions ReadCache { get; set; } = new();

    /// <summary>
    /// The least time between two wake-ups (NOTIFY) the API sends the change feed's followers
    /// (<see cref="Resources.ChangeNotifier"/>): the writes that commit meanwhile share the next one. Each NOTIFY
    /// costs PostgreSQL a transaction and every listening xDS server a wake-up (about 0.08 ms of its CPU), and the xDS
    /// server waits 25 ms for more after one anyway (<c>Xds:Feed:Debounce</c>), so sending them more often than this
    /// makes no change arrive sooner. Zero sends one as soon as the previous has answered.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan ChangeNotifyInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Whether <c>/metrics</c> carries ASP.NET Core's own HTTP server metrics (<c>http_server_request_duration_seconds</c>,
    /// <c>http_server_active_requests</c>, Kestrel's connections, routing, ...) through OpenTelemetry's ASP.NET Core
    /// instrumentation. Off, each request is no longer measured a second time (the hosting layer's duration and
    /// active-request instruments, and the instrumentation's middleware that tags 5xx answers): <c>mesh_api_calls_total</c>
    /// and <c>mesh_api_call_duration_seconds</c> count and time every call anyway. On by default, since users' own
    /// dashboards may read them (Mesh's Grafana dashboard reads <c>mesh_api_call_duration_seconds</c>). Read once at start
    /// (<see cref="Observability.ObservabilityHosting"/>).
    /// </summary>
    public bool HttpServerMetrics { get; set; } = true;

    /// <summary>How long the tables that grow with every call keep their rows ("Mesh:Retention").</summary>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>How Kestrel's socket transport schedules connections ("Mesh:Transport").</summary>
    public TransportOptions Transport { get; set; } = new();
}
