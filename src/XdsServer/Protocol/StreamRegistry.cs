using System.Collections.Concurrent;

namespace Mesh.XdsServer.Protocol;

/// <summary>Every open xDS stream on this replica, for CSDS and the metrics endpoint.</summary>
public sealed class StreamRegistry(TimeProvider clock)
{
    private readonly ConcurrentDictionary<long, StreamStatus> _streams = new();
    private long _nextId;

    public int Count => _streams.Count;

    public IEnumerable<StreamStatus> Streams => _streams.Values.OrderBy(s => s.Id);

    /// <summary>
    /// Streams that have named their proxy. Envoy and gRPC clients use one ADS stream each, so this is the number
    /// of connected proxies; node ids cannot be counted instead, because every replica of a virtual node shares one.
    /// </summary>
    public int Identified => _streams.Values.Count(s => s.Identity is not null);

    public StreamStatus Open(string variant)
    {
        var status = new StreamStatus(Interlocked.Increment(ref _nextId), variant, clock);
        _streams[status.Id] = status;
        return status;
    }

    public void Close(StreamStatus status) => _streams.TryRemove(status.Id, out _);
}
