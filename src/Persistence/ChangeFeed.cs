namespace Mesh.Persistence;

/// <summary>Names shared by the writer (API) and the followers (xDS servers) of the change feed.</summary>
public static class ChangeFeed
{
    /// <summary>The LISTEN/NOTIFY channel. The payload is the new change's sequence number; followers must still read the table.</summary>
    public const string Channel = "mesh_changes";
}
