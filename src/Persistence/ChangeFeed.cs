namespace Mesh.Persistence;

/// <summary>Names shared by the writer (API) and the followers (xDS servers) of the change feed.</summary>
public static class ChangeFeed
{
    /// <summary>The LISTEN/NOTIFY channel. The payload is the new change's sequence number; followers must still read the table.</summary>
    public const string Channel = "mesh_changes";

    /// <summary>
    /// A transaction-local setting: a writer that sets it to <c>on</c> sends the NOTIFY itself right after its
    /// COMMIT, and the changes table's trigger leaves it out (see the NotifyAfterCommit migration).
    /// </summary>
    public const string NotifyAfterCommitSetting = "mesh.notify_after_commit";
}
