using System.Buffers;

namespace Mesh.XdsServer.Hosting.Buffers;

/// <summary>
/// A pool of fixed-size blocks for Kestrel's pipes (<see cref="KestrelBlockPools"/>), whose blocks come from a
/// <see cref="IBlockSource"/> instead of the pinned object heap. A rented block goes back to the pool when Kestrel
/// disposes it; blocks nobody rented for a whole release interval are freed a share at a time
/// (<see cref="ReleaseIdle"/>), so a burst's blocks do not stay forever, but never below the most that were out at
/// once in the last few intervals (<see cref="PeakKept"/>): a route change needs more blocks out at once than the
/// connect did (each proxy's push going out while its ACK comes in), and a pool that had shrunk by then allocates them
/// again inside the next change, new arrays the GC must then collect or promote (docs/benchmarks.md, issue13aa,
/// issue13ac).
/// <para>
/// Thread safe: Kestrel rents and returns from every I/O thread at once. The free blocks are an array used as a
/// stack (the block returned last is rented first, while its memory is still in the cache) and every count the pool
/// keeps is changed under one short lock, taken once per rent and once per return. A <c>ConcurrentStack</c> with
/// counters beside it made a 32-byte node for every block returned (about seventeen per proxy per route change with
/// the node on every request: each push and each ACK passes through three pipes) and cost four or five interlocked
/// operations per rent on the pool's shared counters (docs/benchmarks.md, issue13bk).
/// </para>
/// </summary>
public class BlockPool : MemoryPool<byte>
{
    private readonly IBlockSource _source;
    private readonly Lock _lock = new();

    // Guarded by _lock: the free blocks are _free[0.._freeCount), the last one returned at the top. The array only
    // grows (a slot is 8 bytes: 80 KB for 10,000 free blocks of 16 KB).
    private PoolBlock[] _free = new PoolBlock[64];
    private int _freeCount;
    private long _rented;
    private bool _disposed;

    // Guarded by _lock. The fewest blocks the free stack held since the last ReleaseIdle: that many were idle the
    // whole interval. And the most blocks out at once since the last ReleaseIdle.
    private int _lowWater;
    private long _intervalPeak;

    // Changed rarely (a new block, a freed one, a second dispose), read by the gauges: interlocked, outside the lock.
    private long _allocated;
    private long _released;
    private long _returnedTwice;

    // The most blocks out at once in each of the intervals before the current one that are kept; ReleaseIdle's own.
    private readonly long[] _recentPeaks;
    private int _nextPeak;
    private long _peakKept;

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
    public long Rented => Volatile.Read(ref _rented);

    /// <summary>Blocks kept free in the pool now, for the next rent.</summary>
    public long Retained => Volatile.Read(ref _freeCount);

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

        PoolBlock? block = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_freeCount > 0)
            {
                block = _free[--_freeCount];
                _free[_freeCount] = null!;
                _lowWater = Math.Min(_lowWater, _freeCount);
            }

            _rented++;
            _intervalPeak = Math.Max(_intervalPeak, _rented);
        }

        if (block is null)
        {
            // Made outside the lock: a new block is an allocation the size of a block, and the other threads'
            // rents and returns need not wait for it.
            block = new PoolBlock(this, _source.Allocate(BlockSize));
            Interlocked.Increment(ref _allocated);
        }

        block.MarkRented();
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
        PoolBlock[] toFree;
        lock (_lock)
        {
            var keep = RememberPeak(_intervalPeak);
            _intervalPeak = _rented;
            var idle = _lowWater;
            var count = idle <= 0 ? 0 : Math.Max(1, idle / 2);
            count = (int)Math.Min(count, Math.Max(0, _rented + _freeCount - keep));
            toFree = count == 0 ? [] : _free[(_freeCount - count).._freeCount];
            Array.Clear(_free, _freeCount - count, count);
            _freeCount -= count;
            _lowWater = _freeCount;
        }

        // Freed outside the lock: a source's Free may be a call into native memory.
        foreach (var block in toFree)
        {
            block.Memory.Free();
        }

        Interlocked.Add(ref _released, toFree.Length);
        return toFree.Length;
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

    internal void Return(PoolBlock block)
    {
        if (!block.MarkReturned())
        {
            Interlocked.Increment(ref _returnedTwice);
            return;
        }

        lock (_lock)
        {
            _rented--;
            if (!_disposed)
            {
                if (_freeCount == _free.Length)
                {
                    Array.Resize(ref _free, _free.Length * 2);
                }

                _free[_freeCount++] = block;
                return;
            }
        }

        block.Memory.Free();
        Interlocked.Increment(ref _released);
    }

    protected override void Dispose(bool disposing)
    {
        // Kestrel disposes a transport's pools when it stops; blocks still out are freed as they come back.
        PoolBlock[] toFree;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            toFree = _free[.._freeCount];
            Array.Clear(_free, 0, _freeCount);
            _freeCount = 0;
        }

        foreach (var block in toFree)
        {
            block.Memory.Free();
        }

        Interlocked.Add(ref _released, toFree.Length);
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
