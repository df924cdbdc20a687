// Namespace Mesh.Persistence, not Mesh.Persistence.ChangeFeed: that name is taken by the ChangeFeed class.
namespace Mesh.Persistence;

/// <summary>
/// The contract between whatever prunes old rows of the change log (the API's retention, <c>Mesh:Retention:ChangeLog</c>)
/// and its followers (the xDS server's change feed, the API's read barrier). The pruner deletes only committed rows
/// older than the retention, never the row with the highest number (followers start from the log's maximum), and
/// records the highest number it deleted in <c>settings</c> (<see cref="PrunedThroughSetting"/>) in the same
/// transaction, never lowering it. A follower that had not read a number at or below that record when it was deleted
/// (one cut off from the database for about the retention) cannot know what it missed: it reads everything again
/// (<see cref="ChangeLogPosition.ForgetPruned"/> tells it).
/// </summary>
public static class ChangeLogRetention
{
    /// <summary>The <c>settings</c> key under which the highest change-log number pruned is kept (a decimal number).</summary>
    public const string PrunedThroughSetting = "change_log_pruned_through";

    /// <summary>The highest change-log number pruned, or 0 when none has been: one bigint.</summary>
    public const string PrunedThroughSql =
        $"SELECT coalesce((SELECT value::bigint FROM settings WHERE key = '{PrunedThroughSetting}'), 0) AS \"Value\"";
}
