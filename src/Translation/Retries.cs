using Envoy.Config.Route.V3;
using Envoy.Extensions.Retry.Host.PreviousHosts.V3;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// Retry policies (docs/envoy-mapping.md §4 "Retries"). Events map by the mapping's table; <c>retry_on</c> lists them in
/// one fixed order and status codes ascend, so equal policies serialise identically.
/// </summary>
internal static class Retries
{
    private static readonly string[] RetryOnOrder =
    [
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
        "connect-failure", "reset", "refused-stream", "retriable-status-codes",
    ];

    private static readonly uint[] ServerErrors = [500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511];
    private static readonly uint[] GatewayErrors = [502, 503, 504];

    /// <summary>
    /// The policy App Mesh applied to every route without one, for accounts whose first mesh is from 29 July 2020
    /// on. It never appeared in the API; Envoy users coming from App Mesh rely on it.
    /// </summary>
    public static RetryPolicy Default() =>
        Build(["unavailable", "reset", "connect-failure", "refused-stream", "retriable-status-codes"], [503], 2, null);

    public static RetryPolicy? Http(Specs.HttpRetryPolicy? policy, string where, TranslationContext context) =>
        policy is null
            ? Default()
            : FromEvents(policy.HttpRetryEvents, policy.TcpRetryEvents, null, policy.MaxRetries, policy.PerRetryTimeout, where, context);

    public static RetryPolicy? Grpc(Specs.GrpcRetryPolicy? policy, string where, TranslationContext context) =>
        policy is null
            ? Default()
            : FromEvents(policy.HttpRetryEvents, policy.TcpRetryEvents, policy.GrpcRetryEvents, policy.MaxRetries, policy.PerRetryTimeout, where, context);

    private static RetryPolicy? FromEvents(
        IEnumerable<string>? http,
        IEnumerable<Specs.TcpRetryPolicyEvent>? tcp,
        IEnumerable<Specs.GrpcRetryPolicyEvent>? grpc,
        long maxRetries,
        Specs.Duration perRetryTimeout,
        string where,
        TranslationContext context)
    {
        var on = new HashSet<string>(StringComparer.Ordinal);
        var codes = new SortedSet<uint>();
        foreach (var e in http ?? [])
        {
            switch (e)
            {
                case "server-error":
                    on.Add("retriable-status-codes");
                    on.Add("reset");
                    codes.UnionWith(ServerErrors);
                    break;
                case "gateway-error":
                    on.Add("retriable-status-codes");
                    on.Add("reset");
                    codes.UnionWith(GatewayErrors);
                    break;
                case "client-error":
                    on.Add("retriable-status-codes");
                    codes.Add(409);
                    break;
                case "stream-error":
                    on.Add("refused-stream");
                    break;
                default:
                    context.Warn(WarningKind.SettingIgnored, $"{where}: unknown HTTP retry event '{e}' ignored");
                    break;
            }
        }

        foreach (var _ in tcp ?? [])
        {
            on.Add("connect-failure");
        }

        foreach (var e in grpc ?? [])
        {
            on.Add(e switch
            {
                Specs.GrpcRetryPolicyEvent.Cancelled => "cancelled",
                Specs.GrpcRetryPolicyEvent.DeadlineExceeded => "deadline-exceeded",
                Specs.GrpcRetryPolicyEvent.Internal => "internal",
                Specs.GrpcRetryPolicyEvent.ResourceExhausted => "resource-exhausted",
                _ => "unavailable",
            });
        }

        if (on.Count == 0)
        {
            context.Warn(WarningKind.SettingIgnored, $"{where}: retry policy has no events, so nothing is retried");
            return null;
        }

        return Build(RetryOnOrder.Where(on.Contains), codes, (uint)Math.Min(maxRetries, uint.MaxValue), perRetryTimeout.ToTimeSpan());
    }

    private static RetryPolicy Build(IEnumerable<string> retryOn, IEnumerable<uint> codes, uint retries, TimeSpan? perTry)
    {
        var policy = new RetryPolicy
        {
            RetryOn = string.Join(",", retryOn),
            NumRetries = retries,
            // App Mesh always adds these two ([VGD]): retry on another host, trying up to 5 times to find one.
            HostSelectionRetryMaxAttempts = 5,
            RetryHostPredicate =
            {
                new RetryPolicy.Types.RetryHostPredicate
                {
                    Name = "envoy.retry_host_predicates.previous_hosts",
                    TypedConfig = Protos.Pack(new PreviousHostsPredicate()),
                },
            },
        };
        policy.RetriableStatusCodes.AddRange(codes);
        if (perTry is { } p && p > TimeSpan.Zero)
        {
            policy.PerTryTimeout = Protos.Duration(p);
        }

        return policy;
    }
}
