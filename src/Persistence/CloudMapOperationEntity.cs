namespace Mesh.Persistence;

/// <summary>
/// A Cloud Map operation (GetOperation, ListOperations). The asynchronous calls finish inside their own
/// transaction, so an operation is stored already SUCCESS.
/// </summary>
public sealed class CloudMapOperationEntity
{
    public required string Id { get; set; }

    public required string AccountId { get; set; }

    /// <summary>CREATE_NAMESPACE, DELETE_NAMESPACE, UPDATE_NAMESPACE, UPDATE_SERVICE, REGISTER_INSTANCE or DEREGISTER_INSTANCE.</summary>
    public required string Type { get; set; }

    public required string Status { get; set; }

    /// <summary>The OperationTargetsMap (NAMESPACE, SERVICE, INSTANCE to ids) as jsonb.</summary>
    public required string Targets { get; set; }

    /// <summary>
    /// The CreatorRequestId or UpdaterRequestId the call carried: a retry with it and the same request gets this
    /// operation again; another request with it is DuplicateRequest. Unique per account.
    /// </summary>
    public string? RequestId { get; set; }

    /// <summary>The hash of the request that claimed <see cref="RequestId"/>.</summary>
    public string? RequestHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
