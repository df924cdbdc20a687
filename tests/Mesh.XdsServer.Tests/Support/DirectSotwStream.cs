using Envoy.Admin.V3;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// A SotW stream run straight through a session context (grpc-dotnet's unit tier: no network in between), for tests of
/// what a change's push does on streams that are already connected.
/// </summary>
public sealed class DirectSotwStream
{
    private DirectSotwStream(XdsSessionContext context, CancellationToken token) =>
        Run = XdsStreams.RunSotwAsync(context, "ads", null, Requests, Responses, token);

    public ChannelStreamReader<DiscoveryRequest> Requests { get; } = new();

    public RecordingStreamWriter<DiscoveryResponse> Responses { get; } = new();

    /// <summary>The session; it ends when the token given to <see cref="ConnectAsync"/> is cancelled.</summary>
    public Task Run { get; }

    /// <summary>The connect's response, which the stream ACKed.</summary>
    public DiscoveryResponse First { get; private set; } = null!;

    /// <summary>
    /// <paramref name="count"/> streams of the node <paramref name="node"/>, each having asked for listeners and ACKed
    /// its first response, returned once the registry shows every ACK read. A stream's first snapshot passes no push
    /// gate, and its loop takes the connect's snapshot only after the requests already there: on a loaded machine a
    /// change made earlier could replace that snapshot (the latest wins) and go out as the stream's first. Once its ACK
    /// is read, the loop's next step takes the connect's snapshot, so a change made after this is a push on every stream.
    /// </summary>
    public static async Task<DirectSotwStream[]> ConnectAsync(XdsSessionContext context, string node, int count, CancellationToken token)
    {
        var streams = Enumerable.Range(0, count).Select(_ => new DirectSotwStream(context, token)).ToArray();
        var request = new DiscoveryRequest { TypeUrl = TypeUrls.Listener, Node = new Node { Id = MeshRows.NodeId(node) } };
        foreach (var stream in streams)
        {
            await stream.Requests.Writer.WriteAsync(request, token);
        }

        foreach (var stream in streams)
        {
            stream.First = await stream.Responses.NextAsync();
            await stream.Requests.Writer.WriteAsync(Ack(stream.First), token);
        }

        await Eventually.TrueAsync(() =>
            context.Registry.Streams.Count(s => s.Resources.Values.Any(r => r.ClientStatus == ClientResourceStatus.Acked)) == count);
        return streams;
    }

    public static DiscoveryRequest Ack(DiscoveryResponse response) =>
        new() { TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce };
}
