using Envoy.Service.Status.V3;
using Envoy.Type.Matcher.V3;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Services;

/// <summary>
/// CSDS: for every proxy connected to this replica, the version of each resource sent and whether it was ACKed or
/// NACKed (with the error), and why a proxy is not on its newest configuration: its virtual node or gateway does
/// not exist (yet, or any more), or the translation was rejected.
/// <c>node_matchers</c> filter by node id (exact, prefix, suffix, contains).
/// </summary>
public sealed class ClientStatusDiscovery(StreamRegistry registry, SnapshotCache cache) : ClientStatusDiscoveryService.ClientStatusDiscoveryServiceBase
{
    public override Task<ClientStatusResponse> FetchClientStatus(ClientStatusRequest request, ServerCallContext context) =>
        Task.FromResult(Collect(request));

    public override async Task StreamClientStatus(IAsyncStreamReader<ClientStatusRequest> requestStream, IServerStreamWriter<ClientStatusResponse> responseStream, ServerCallContext context)
    {
        while (await requestStream.MoveNext(context.CancellationToken))
        {
            await responseStream.WriteAsync(Collect(requestStream.Current), context.CancellationToken);
        }
    }

    private ClientStatusResponse Collect(ClientStatusRequest request)
    {
        var response = new ClientStatusResponse();
        foreach (var stream in registry.Streams.Where(s => s.Node is not null))
        {
            if (request.NodeMatchers.Count == 0 || request.NodeMatchers.Any(m => Matches(m.NodeId, stream.Node!.Id)))
            {
                response.Config.Add(stream.ToClientConfig(stream.Identity is { } identity ? cache.Problem(identity) : null));
            }
        }

        return response;
    }

    private static bool Matches(StringMatcher? matcher, string value) => matcher?.MatchPatternCase switch
    {
        null or StringMatcher.MatchPatternOneofCase.None => true,
        StringMatcher.MatchPatternOneofCase.Exact => string.Equals(matcher.Exact, value, matcher.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal),
        StringMatcher.MatchPatternOneofCase.Prefix => value.StartsWith(matcher.Prefix, matcher.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal),
        StringMatcher.MatchPatternOneofCase.Suffix => value.EndsWith(matcher.Suffix, matcher.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal),
        StringMatcher.MatchPatternOneofCase.Contains => value.Contains(matcher.Contains, matcher.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal),
        _ => false,
    };
}
