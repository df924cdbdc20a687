namespace Mesh.XdsServer.Feed;

/// <summary>How the server follows the database (configuration section <c>Xds:Feed</c>).</summary>
public sealed class ChangeFeedOptions
{
    /// <summary>After a notification, wait this long for more before recomputing, so a burst becomes one push.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>A continuous burst is cut off after this, so propagation time stays bounded.</summary>
    public TimeSpan MaxDebounce { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A mesh that changes while no proxy watches it is loaded this long after its first such change at the latest
    /// (with every change made meanwhile), or as soon as a proxy watches it, instead of at every wake-up: a big mesh
    /// being written to by the API is then read once a second, not every 25-250 ms (1 s is what 14r measured). Zero
    /// loads every changed mesh at once, as before 14r. The default since the whole xDS test project passed with 1 s
    /// on quiet machines after 14t's wake-up (317/317 on its branch, 328/328 merged; its one other run's failure was a
    /// stop-path race with no database in it).
    /// </summary>
    public TimeSpan UnwatchedDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Read only the rows the change log named since a mesh's last read, in the snapshot the log was read in, and patch
    /// them into the rows last read, instead of every row's stamp at every load: a write to a watched mesh of thousands
    /// of nodes costs the read of its own row, not of the mesh. A full reload still happens where the increment
    /// cannot be trusted (a gap given up, a failed catch-up or read, a start, a migration;
    /// <c>mesh_xds_mesh_reads_full_total</c>). Off: every load reads every row's stamp, as before 14w, which also sees
    /// rows written by hand without a change-log row. Off by default: it serves the same graphs and versions as a full
    /// read (<c>IncrementalLoadTests</c>; the version mismatch that kept it off was the snapshots deleted nodes kept,
    /// fixed for both settings in issue14y), but it has not been shown to lower the server's CPU per write
    /// (docs/benchmarks.md, issue14w and issue14y).
    /// </summary>
    public bool IncrementalLoads { get; set; }

    /// <summary>Read the log even without a notification this often: covers a lost notification and fills holes.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A sequence number still missing after this belongs to a transaction that rolled back.</summary>
    public TimeSpan GapTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Numbers below the start-up maximum that may still be in flight, and so are watched as holes.</summary>
    public long StartWindow { get; set; } = 256;

    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);
}
