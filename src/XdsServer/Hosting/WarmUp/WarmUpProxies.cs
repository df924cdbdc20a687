using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Mesh.XdsServer.Protocol;

namespace Mesh.XdsServer.Hosting.WarmUp;

/// <summary>
/// The warm-up's state-of-the-world proxy: it sends its node on every request, as a stock Envoy does, each request
/// serialised and read back through <see cref="NodeSlicingMarshaller"/> as a request off the wire is, and ACKs every
/// response it gets.
/// </summary>
internal sealed class WarmUpSotwProxy(Node node, NodeInterner nodes)
{
    private readonly Dictionary<string, IReadOnlyCollection<string>> _names = [];

    public InMemoryRequests<DiscoveryRequest> Requests { get; } = new();

    public InMemoryResponses<DiscoveryResponse> Responses { get; } = new();

    /// <summary>Asks for a type: the named resources, or every one when <paramref name="names"/> is empty.</summary>
    public void Subscribe(string typeUrl, IReadOnlyCollection<string> names)
    {
        _names[typeUrl] = names;
        Send(new DiscoveryRequest { TypeUrl = typeUrl, ResourceNames = { names } });
    }

    /// <summary>Reads and ACKs responses until each of <paramref name="typeUrls"/> has been answered.</summary>
    public async Task AnsweredAsync(IEnumerable<string> typeUrls, CancellationToken cancellationToken)
    {
        var waiting = typeUrls.ToHashSet();
        while (waiting.Count > 0)
        {
            var response = await Responses.NextAsync(cancellationToken);
            waiting.Remove(response.TypeUrl);
            Send(new DiscoveryRequest
            {
                TypeUrl = response.TypeUrl,
                VersionInfo = response.VersionInfo,
                ResponseNonce = response.Nonce,
                ResourceNames = { _names.GetValueOrDefault(response.TypeUrl) ?? [] },
            });
        }
    }

    private void Send(DiscoveryRequest request)
    {
        request.Node = node;
        var bytes = request.ToByteArray();
        Requests.Send(NodeSlicingMarshaller.Parse(bytes, nodes, DiscoveryRequest.Parser, DiscoveryRequest.NodeFieldNumber, (r, n) => r.Node = n));
    }
}

/// <summary>The warm-up's delta proxy: its node on the first request only, as Envoy sends it on a delta stream; it ACKs every response.</summary>
internal sealed class WarmUpDeltaProxy(Node node, NodeInterner nodes)
{
    private bool _sentNode;

    public InMemoryRequests<DeltaDiscoveryRequest> Requests { get; } = new();

    public InMemoryResponses<DeltaDiscoveryResponse> Responses { get; } = new(SharedDeltaResponses.AsWritten);

    /// <summary>Subscribes to the named resources of a type, or to all of them (the wildcard) when <paramref name="names"/> is empty.</summary>
    public void Subscribe(string typeUrl, IReadOnlyCollection<string> names) =>
        Send(new DeltaDiscoveryRequest { TypeUrl = typeUrl, ResourceNamesSubscribe = { names.Count == 0 ? ["*"] : names } });

    /// <summary>Reads and ACKs responses until each of <paramref name="typeUrls"/> has been answered.</summary>
    public async Task AnsweredAsync(IEnumerable<string> typeUrls, CancellationToken cancellationToken)
    {
        var waiting = typeUrls.ToHashSet();
        while (waiting.Count > 0)
        {
            var response = await Responses.NextAsync(cancellationToken);
            waiting.Remove(response.TypeUrl);
            Send(new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce });
        }
    }

    private void Send(DeltaDiscoveryRequest request)
    {
        if (!_sentNode)
        {
            request.Node = node;
            _sentNode = true;
        }

        var bytes = request.ToByteArray();
        Requests.Send(NodeSlicingMarshaller.Parse(bytes, nodes, DeltaDiscoveryRequest.Parser, DeltaDiscoveryRequest.NodeFieldNumber, (r, n) => r.Node = n));
    }
}
