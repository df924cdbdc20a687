namespace Mesh.Api;

/// <summary>
/// How long the tables that grow with every call keep their rows ("Mesh:Retention", <see cref="Resources.RetentionPruner"/>).
/// Zero keeps a table's rows forever. clientToken records are kept for <see cref="Resources.Idempotency.Retention"/>,
/// which is not a setting: it is what a retry with the same token is promised.
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>
    /// Audit records (<c>audit_log</c>: every mutating or refused call, about 320 bytes each). 90 days by default,
    /// CloudTrail's event-history window, which is what AWS users expect to look back over.
    /// </summary>
    public TimeSpan AuditLog { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Cloud Map operations (<c>cloud_map_operations</c>, GetOperation and ListOperations). 90 days by default.</summary>
    public TimeSpan CloudMapOperations { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// The change log (<c>changes</c>), which the xDS servers and the API's read cache follow. Its newest row is kept
    /// whatever its age (a follower starts from it); a follower that falls further behind than this reloads everything
    /// (<see cref="Persistence.ChangeLogRetention"/>). At least <see cref="MinChangeLog"/> unless zero.
    /// </summary>
    public TimeSpan ChangeLog { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often a round of pruning runs; one also runs when the API starts.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The least non-zero <see cref="ChangeLog"/>: a follower restarting, or a database away for a while, must not find
    /// the rows it missed already gone and reload everything.
    /// </summary>
    public static readonly TimeSpan MinChangeLog = TimeSpan.FromHours(1);

    /// <summary>The bounds of <see cref="Interval"/> (a .NET timer's period may not exceed about 49 days).</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    /// <inheritdoc cref="MinInterval"/>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(30);

    /// <summary>What is wrong with these settings, each naming its key, or nothing.</summary>
    public IEnumerable<string> Problems()
    {
        const string Prefix = MeshApiOptions.Section + ":Retention:";
        foreach (var (name, value) in new[] { (nameof(AuditLog), AuditLog), (nameof(CloudMapOperations), CloudMapOperations), (nameof(ChangeLog), ChangeLog) })
        {
            if (value < TimeSpan.Zero)
            {
                yield return $"{Prefix}{name} must be 0 (keep forever) or a positive time span such as 90.00:00:00 (90 days), not {value}.";
            }
        }

        if (ChangeLog > TimeSpan.Zero && ChangeLog < MinChangeLog)
        {
            yield return $"{Prefix}{nameof(ChangeLog)} must be 0 (keep forever) or at least {MinChangeLog}, not {ChangeLog}: a change-log follower further behind than it reloads everything.";
        }

        if (Interval < MinInterval || Interval > MaxInterval)
        {
            yield return $"{Prefix}{nameof(Interval)} must be from {MinInterval} to {MaxInterval}, not {Interval}.";
        }
    }
}

/// <summary>Refuses <see cref="MeshApiOptions.Retention"/> settings at start with <see cref="RetentionOptions.Problems"/>' messages.</summary>
internal sealed class RetentionOptionsValidation : Microsoft.Extensions.Options.IValidateOptions<MeshApiOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, MeshApiOptions options) =>
        options.Retention.Problems().ToList() is { Count: > 0 } problems
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems)
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
