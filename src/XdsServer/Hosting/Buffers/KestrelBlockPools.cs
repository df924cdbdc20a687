using System.Buffers;
using System.Collections.Concurrent;
using Mesh.XdsServer.Diagnostics;
using Microsoft.AspNetCore.Connections;

namespace Mesh.XdsServer.Hosting.Buffers;

/// <summary>Which memory Kestrel's socket transport buffers in (setting <c>Xds:KestrelBuffers</c>).</summary>
public enum KestrelBufferKind
{
    /// <summary>Kestrel's own pool: 4 KB blocks on the pinned object heap.</summary>
    Pinned,

    /// <summary>
    /// <see cref="BlockPool"/> with ordinary arrays (<see cref="HeapBlocks"/>). Not native memory: Kestrel's socket
    /// transport sends several blocks at once as a list of array segments and resets the connection when a block is
    /// not an array (docs/benchmarks.md, issue13v).
    /// </summary>
    Heap,
}

/// <summary>
/// The <see cref="IMemoryPoolFactory{T}"/> Kestrel's socket transport creates its pools with (one per I/O queue)
/// when <c>Xds:KestrelBuffers</c> is <see cref="KestrelBufferKind.Heap"/>. Why: Kestrel's own pool allocates
/// its blocks on the pinned object heap, and while a route change's responses wait to be sent the pool grows by
/// tens of megabytes; the pinned heap's small allocation budget then runs out and the GC runs a full (gen2)
/// collection in the middle of the change (docs/benchmarks.md, issue13s and issue13v). Frees every pool's idle
/// blocks a share at a time, once per <see cref="ReleaseInterval"/>, keeping enough for the most that were out at
/// once within <c>Xds:KestrelBlocksKeptSeconds</c> (issue13ac), and shows the pools in <c>/metrics</c>.
/// </summary>
public sealed class KestrelBlockPools : IMemoryPoolFactory<byte>, IDisposable
{
    /// <summary>How often idle blocks are released: Kestrel's own pool evicts on a 10 s cycle too.</summary>
    public static readonly TimeSpan ReleaseInterval = TimeSpan.FromSeconds(10);

    private readonly IBlockSource _source;
    private readonly int _blockSize;
    private readonly int _peakIntervals;
    private readonly ConcurrentDictionary<BlockPool, byte> _pools = new();
    private readonly ITimer? _timer;

    /// <param name="peakKeptFor">
    /// How long each pool keeps enough blocks for the most that were out at once (rounded up to whole release
    /// intervals); zero frees idle blocks by halves whatever was needed before.
    /// </param>
    public KestrelBlockPools(IBlockSource source, TimeProvider? timeProvider = null, int blockSize = BlockPool.DefaultBlockSize, TimeSpan peakKeptFor = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, BlockPool.DefaultBlockSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(peakKeptFor, TimeSpan.Zero);
        _source = source;
        _blockSize = blockSize;
        _peakIntervals = (int)Math.Ceiling(peakKeptFor / ReleaseInterval);
        _timer = timeProvider?.CreateTimer(_ => ReleaseIdle(), null, ReleaseInterval, ReleaseInterval);
    }

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        // Kept after Kestrel disposes it (at stop): its blocks still out are freed, and counted, as they come back.
        // Kestrel makes a few per listener when it binds, so this does not grow.
        var pool = new BlockPool(_source, _blockSize, _peakIntervals);
        _pools.TryAdd(pool, 0);
        return pool;
    }

    /// <summary>How long each pool keeps enough blocks for the most that were out at once, in whole release intervals.</summary>
    public TimeSpan PeakKeptFor => ReleaseInterval * _peakIntervals;

    /// <summary>Bytes in each block of every pool.</summary>
    public int BlockSize => _blockSize;

    /// <summary>Blocks out with Kestrel now, over every pool.</summary>
    public long Rented => _pools.Keys.Sum(p => p.Rented);

    /// <summary>Blocks kept free for reuse now, over every pool.</summary>
    public long Retained => _pools.Keys.Sum(p => p.Retained);

    /// <summary>Bytes of the blocks that exist now (rented and retained).</summary>
    public long Bytes => (Rented + Retained) * _blockSize;

    /// <summary>Blocks the pools keep for their busiest moment within the kept time, as of their last release.</summary>
    public long PeakKept => _pools.Keys.Sum(p => p.PeakKept);

    /// <summary>Blocks made since start.</summary>
    public long Allocated => _pools.Keys.Sum(p => p.Allocated);

    /// <summary>Blocks freed since start (idle, or with their pool).</summary>
    public long Released => _pools.Keys.Sum(p => p.Released);

    /// <summary>Returns of blocks that were not out (a double dispose), ignored by the pools; nonzero is a bug to look into.</summary>
    public long ReturnedTwice => _pools.Keys.Sum(p => p.ReturnedTwice);

    /// <summary>Releases idle blocks in every pool (<see cref="BlockPool.ReleaseIdle"/>); the timer's work.</summary>
    public int ReleaseIdle() => _pools.Keys.Sum(p => p.ReleaseIdle());

    /// <summary>Puts the pools' state in <c>/metrics</c>.</summary>
    public void Observe(XdsMetrics metrics, string kind)
    {
        metrics.Gauge("mesh_xds_kestrel_blocks_rented", $"Kestrel buffer blocks ({kind}, {_blockSize} bytes) out with its connections now (Xds:KestrelBuffers).", () => Rented);
        metrics.Gauge("mesh_xds_kestrel_blocks_retained", "Kestrel buffer blocks kept free for reuse now (idle ones are freed by halves every 10 s, down to the peak kept).", () => Retained);
        metrics.Gauge("mesh_xds_kestrel_blocks_peak_kept", "The most Kestrel buffer blocks out at once within Xds:KestrelBlocksKeptSeconds: the pools keep this many.", () => PeakKept);
        metrics.Gauge("mesh_xds_kestrel_block_bytes", "Bytes of Kestrel buffer blocks that exist now, rented and retained.", () => Bytes);
        metrics.Gauge("mesh_xds_kestrel_blocks_allocated", "Kestrel buffer blocks made since start.", () => Allocated);
        metrics.Gauge("mesh_xds_kestrel_blocks_released", "Kestrel buffer blocks freed since start (idle, or with their pool).", () => Released);
        // A second dispose of a block is ignored so that it is never pooled twice; shown so that it is not silent.
        metrics.Gauge("mesh_xds_kestrel_blocks_returned_twice", "Returns of Kestrel buffer blocks that were not out (a double dispose), ignored since start.", () => ReturnedTwice);
    }

    public void Dispose()
    {
        _timer?.Dispose();
    }
}
