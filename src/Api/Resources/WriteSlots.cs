namespace Mesh.Api.Resources;

/// <summary>
/// The resource writes one API process runs in PostgreSQL at once (<see cref="MeshApiOptions.WritesInFlight"/>); a write
/// beyond them waits here for a slot, within its deadline, before it takes a connection.
/// </summary>
/// <remarks>
/// Why a bound: a write is one statement that spends nearly all its time inside PostgreSQL, executing, waiting for a
/// row or advisory lock another write holds, or for its commit's WAL flush. With as many writes in flight as callers,
/// 32 callers meant 32 backends contending for the database's cores and for the same mesh's locks, and a connection
/// pool of up to 100 per process, which a second API process and an xDS server on the same database could take past
/// PostgreSQL's <c>max_connections</c> (answered 503). Held to 8 on a 2-core machine, 32 callers' writes had a p99 about
/// a quarter lower (lower in 11 of 12 cells) and 15–17% more writes a second on average, in cells that varied by as much
/// (docs/benchmarks.md, issue14bj). Only the one-statement writes
/// (<see cref="WriteTransactions"/>' <see cref="WriteBatch"/>) take a slot: each holds one connection and never waits
/// for another write's slot while it holds its own, so the bound cannot deadlock.
/// </remarks>
public sealed class WriteSlots(int count) : IDisposable
{
    /// <summary>Four a core of this machine: the default of <see cref="MeshApiOptions.WritesInFlight"/>.</summary>
    public static int DefaultCount => 4 * Environment.ProcessorCount;

    /// <summary>The most <see cref="MeshApiOptions.WritesInFlight"/> may be.</summary>
    public const int MaxCount = 1024;

    private readonly SemaphoreSlim free = new(count, count);
    private int waiting;

    public int Count => count;

    /// <summary>Writes holding a slot now.</summary>
    public int InFlight => count - free.CurrentCount;

    /// <summary>Writes waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>A slot, taken at once when one is free; disposing the slot gives it back.</summary>
    public ValueTask<Slot> EnterAsync(CancellationToken ct) =>
        free.Wait(0) ? new ValueTask<Slot>(new Slot(free)) : WaitAsync(ct);

    private async ValueTask<Slot> WaitAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref waiting);
        try
        {
            await free.WaitAsync(ct);
        }
        finally
        {
            Interlocked.Decrement(ref waiting);
        }

        return new Slot(free);
    }

    public void Dispose() => free.Dispose();

    /// <summary>One write's slot; given back once, when disposed.</summary>
    public readonly struct Slot(SemaphoreSlim free) : IDisposable
    {
        public void Dispose() => free.Release();
    }
}
