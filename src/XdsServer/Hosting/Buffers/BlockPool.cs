using System.Buffers;
using System.Collections.Concurrent;

namespace Mesh.XdsServer.Hosting.Buffers;

/// <summary>
/// A pool of fixed-size blocks for Kestrel's pipes (<see cref="KestrelBlockPools"/>), whose blocks come from a
/// <see cref="IBlockSource"/> instead of the pinned object heap. A rented block goes back to the pool when Kestrel
/// disposes it; blocks nobody rented for a whole release interval are freed a share at a time
/// (<see cref="ReleaseIdle"/>), so a burst's blocks do not stay forever, but never below the most that were out at
/// once in the last few intervals (<see cref="PeakKept"/>): a route change needs more blocks out at once than the
/// connect did (each proxy's push going out while its ACK comes in), and a pool that had shrunk by then allocates them
/// again inside the next change, new arrays the GC must then collect or promote (docs/benchmarks.md, issue13aa,
/// issue13ac). Thread safe: Kestrel rents and returns from every I/O thread at once.
/// </summary>
public class BlockPool : MemoryPool<byte>
{
    private readonly IBlockSource _source;
    private readonly ConcurrentStack<PoolBlock> _free = new();
    private long _rented;
    private long _allocated;
    private long _released;
    private long _returnedTwice;

    // The fewest blocks the free stack held since the last ReleaseIdle: that many were idle the whole interval.
    private long _lowWater;

    // The most blocks out at once since the last ReleaseIdle, and in each of the intervals before it that are kept.
    private long _intervalPeak;
    private readonly long[] _recentPeaks;
    private int _nextPeak;
    private long _peakKept;
    private readonly Lock _releasing = new();
    private int _disposed;

    /// <param name="source">Where new blocks come from.</param>
    /// <param name="blockSize">Bytes in each block.</param>
    /// <param name="peakIntervals">
    /// How many release intervals (<see cref="ReleaseIdle"/> calls, the last one included) the pool keeps enough
    /// blocks for their busiest moment; 0 frees idle blocks by halves whatever was needed before.
    /// </param>
    public BlockPool(IBlockSource source, int blockSize = DefaultBlockSize, int peakIntervals = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, DefaultBlockSize);
        ArgumentOutOfRangeException.ThrowIfNegative(peakIntervals);
        _source = source;
        BlockSize = blockSize;
        _recentPeaks = new long[peakIntervals];
    }

    /// <summary>Kestrel's own block size, and the least a pool may use: its pipes ask for segments of 4 KB.</summary>
    public const int DefaultBlockSize = 4096;

    /// <summary>
    /// Bytes in one block. Kestrel's pipes ask for 4 KB and use the whole block they get, so with larger blocks a
    /// large request arrives in fewer socket receives and pipe segments (<c>Xds:KestrelBlockSize</c>).
    /// </summary>
    public int BlockSize { get; }

    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks out with Kestrel now.</summary>
    public long Rented => Interlocked.Read(ref _rented);

    /// <summary>Blocks kept free in the pool now, for the next rent.</summary>
    public long Retained => _free.Count;

    /// <summary>Blocks made since the pool was created.</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>Blocks freed since the pool was created (idle release, or the pool's disposal).</summary>
    public long Released => Interlocked.Read(ref _released);

    /// <summary>
    /// The most blocks that were out at once in the intervals the pool remembers, as of the last
    /// <see cref="ReleaseIdle"/>: the pool does not shrink below this many (rented and free).
    /// </summary>
    public long PeakKept => Interlocked.Read(ref _peakKept);

    /// <summary>Returns of a block that was not out (a caller's double dispose); ignored, never pooled twice.</summary>
    public long ReturnedTwice => Interlocked.Read(ref _returnedTwice);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"The pool's blocks hold {BlockSize} bytes.");
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_free.TryPop(out var block))
        {
            block = new PoolBlock(this, _source.Allocate(BlockSize));
            Interlocked.Increment(ref _allocated);
        }
        else
        {
            LowerLowWater(_free.Count);
        }

        block.MarkRented();
        RaisePeak(Interlocked.Increment(ref _rented));
        return block;
    }

    /// <summary>
    /// Frees half of the blocks that stayed free since the last call (at least one when any did), but none that the
    /// busiest moment of the remembered intervals needed, and starts the next interval. A load that keeps coming back
    /// keeps its blocks; after a burst the pool keeps the burst's blocks for the remembered intervals, then shrinks by
    /// halves, one interval at a time. Returns how many blocks were freed.
    /// </summary>
    public int ReleaseIdle()
    {
        lock (_releasing)
        {
            var keep = RememberPeak(Interlocked.Exchange(ref _intervalPeak, Rented));
            var idle = Interlocked.Exchange(ref _lowWater, _free.Count);
            var toFree = idle <= 0 ? 0 : Math.Max(1, idle / 2);
            toFree = (int)Math.Min(toFree, Math.Max(0, Rented + _free.Count - keep));
            var freed = 0;
            while (freed < toFree && _free.TryPop(out var block))
            {
                block.Memory.Free();
                freed++;
            }

            Interlocked.Add(ref _released, freed);
            Interlocked.Exchange(ref _lowWater, _free.Count);
            return freed;
        }
    }

    /// <summary>Records the interval's peak and returns the most blocks out at once in the remembered intervals.</summary>
    private long RememberPeak(long intervalPeak)
    {
        if (_recentPeaks.Length == 0)
        {
            return 0;
        }

        _recentPeaks[_nextPeak] = intervalPeak;
        _nextPeak = (_nextPeak + 1) % _recentPeaks.Length;
        var keep = _recentPeaks.Max();
        Interlocked.Exchange(ref _peakKept, keep);
        return keep;
    }

    private void RaisePeak(long rented) => InterlockedMax.Raise(ref _intervalPeak, rented);

    internal void Return(PoolBlock block)
    {
        if (!block.MarkReturned())
        {
            Interlocked.Increment(ref _returnedTwice);
            return;
        }

        Interlocked.Decrement(ref _rented);
        if (Volatile.Read(ref _disposed) != 0)
        {
            block.Memory.Free();
            Interlocked.Increment(ref _released);
            return;
        }

        _free.Push(block);
    }

    private void LowerLowWater(long count)
    {
        var seen = Interlocked.Read(ref _lowWater);
        while (count < seen)
        {
            var previous = Interlocked.CompareExchange(ref _lowWater, count, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    protected override void Dispose(bool disposing)
    {
        // Kestrel disposes a transport's pools when it stops; blocks still out are freed as they come back.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        while (_free.TryPop(out var block))
        {
            block.Memory.Free();
            Interlocked.Increment(ref _released);
        }
    }

    /// <summary>What Kestrel holds: the block's memory, and the way back to the pool on dispose.</summary>
    internal sealed class PoolBlock(BlockPool pool, IBlockMemory memory) : IMemoryOwner<byte>
    {
        private int _out;

        public IBlockMemory Memory { get; } = memory;

        Memory<byte> IMemoryOwner<byte>.Memory => Memory.Memory;

        public void MarkRented() => Volatile.Write(ref _out, 1);

        public bool MarkReturned() => Interlocked.Exchange(ref _out, 0) == 1;

        public void Dispose() => pool.Return(this);
    }
}
