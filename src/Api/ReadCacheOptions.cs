namespace Mesh.Api;

/// <summary>
/// Describe answered from the API's memory behind a read barrier ("Mesh:ReadCache", <see cref="Resources.ReadBarrier"/>
/// and <see cref="Resources.KeptAnswers"/>).
/// </summary>
public sealed class ReadCacheOptions
{
    /// <summary>
    /// Whether a Describe waits for a read barrier (one read of the change log, shared by every Describe waiting for
    /// it) and then answers from the answers this process kept, reading PostgreSQL only for a resource it does not
    /// keep. Off, every Describe reads its row from PostgreSQL.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// How many resources' answers are kept; past it, the kept answers start over. The same as the rendered answers
    /// <see cref="Resources.ResourceView.Described"/> keeps per version, whose bytes a kept answer shares.
    /// </summary>
    public int Capacity { get; set; } = 10_000;

    /// <summary>
    /// The longest a missing change-log number (a hole) is waited for: the xDS server's rule (<c>Xds:Feed:GapTimeout</c>).
    /// A hole is normally given up sooner, exactly, a barrier or two after no transaction that may have taken its number
    /// is still writing to the log (one that rolled back), and then nothing kept is dropped. One whose transaction
    /// still runs at this time-out is given up then, and that drops every kept answer. Far above an API write's time (a
    /// write is answered at <see cref="MeshApiOptions.RequestTimeout"/> and cancelled): a transaction that commits its
    /// change-log row later than this after taking its number is not seen by the barrier, and an answer kept after the
    /// number was given up and before that commit stays until its resource changes again or the kept answers start over.
    /// </summary>
    public TimeSpan GapTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The default of <see cref="BarriersInFlight"/>: one at a time. On this project's 2-core benchmark machine, where
    /// the API, PostgreSQL and the load share the cores, two in flight shared each barrier among fewer Describes and
    /// served no more (docs/benchmarks.md, issue14bi).
    /// </summary>
    public const int DefaultBarriersInFlight = 1;

    /// <summary>The most <see cref="BarriersInFlight"/> may be (checked at start).</summary>
    public const int MaxBarriersInFlight = 64;

    /// <summary>
    /// How many read barriers' statements may be in flight at once (<see cref="Resources.ReadBarrier"/>). With 1, a
    /// Describe that arrives while a barrier runs waits for it to end and then for the next: on average one and a half
    /// round trips. With more, the next barrier starts when it is asked for, if fewer than this many are in flight:
    /// nearer one round trip, at the cost of more statements, each shared by fewer Describes. For an API whose
    /// database is a network round trip away and whose cores are not the bound; where CPU is the bound, 1 serves more.
    /// </summary>
    public int BarriersInFlight { get; set; } = DefaultBarriersInFlight;
}
