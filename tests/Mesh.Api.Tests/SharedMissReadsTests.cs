using Mesh.Api.Resources;
using Mesh.Model.Resources;

namespace Mesh.Api.Tests;

/// <summary>
/// <see cref="SharedMissReads"/>: a Describe joins a read of its resource only if that read started after the Describe
/// arrived, a failed read is no one else's answer, and nothing stays in flight.
/// </summary>
public sealed class SharedMissReadsTests
{
    private const string Account = "111122223333";
    private static readonly ResourceId Node = new(ResourceKind.VirtualNode, "m", "", "n");
    private static readonly ResourceId Other = new(ResourceKind.VirtualNode, "m", "", "other");

    [Fact]
    public async Task A_Describe_That_Arrived_Before_A_Read_Started_Joins_It()
    {
        var (reads, database, early, first) = await AReadInFlightAfterAnEarlyArrival();

        var joined = reads.ReadAsync(Account, Node, early, database.ReadAsync, CancellationToken.None);
        database.Answer([7]);

        AssertAnswer(7, false, await first);
        AssertAnswer(7, true, await joined);
        Assert.Equal(1, database.Reads);
        Assert.Equal(0, reads.InFlight);
    }

    [Fact]
    public async Task A_Describe_That_Arrived_After_A_Read_Started_Reads_For_Itself_And_Later_Arrivals_Join_Its_Read()
    {
        var (reads, database, _, first) = await AReadInFlightAfterAnEarlyArrival();

        // The first read's statement may predate a write answered before this Describe arrived: not its answer.
        var late = reads.Arrive();
        var arrivedBetween = reads.Arrive();
        var second = reads.ReadAsync(Account, Node, late, database.ReadAsync, CancellationToken.None);
        await database.Started(2);
        var joinsTheSecond = reads.ReadAsync(Account, Node, arrivedBetween, database.ReadAsync, CancellationToken.None);
        database.Answer([1]);
        database.Answer([2]);

        AssertAnswer(1, false, await first);
        AssertAnswer(2, false, await second);
        AssertAnswer(2, true, await joinsTheSecond);
        Assert.Equal(2, database.Reads);
        Assert.Equal(0, reads.InFlight);
    }

    [Fact]
    public async Task Reads_Of_Other_Resources_Are_Not_Joined()
    {
        var (reads, database, early, node) = await AReadInFlightAfterAnEarlyArrival();

        var other = reads.ReadAsync(Account, Other, early, database.ReadAsync, CancellationToken.None);
        await database.Started(2);
        database.Answer([1]);
        database.Answer([2]);

        AssertAnswer(1, false, await node);
        AssertAnswer(2, false, await other);
    }

    [Fact]
    public async Task When_The_Shared_Read_Fails_A_Joiner_Reads_For_Itself()
    {
        var (reads, database, early, first) = await AReadInFlightAfterAnEarlyArrival();
        var joined = reads.ReadAsync(Account, Node, early, database.ReadAsync, CancellationToken.None);

        database.Fail(new TimeoutException("the first caller's deadline"));
        await Assert.ThrowsAsync<TimeoutException>(() => first);
        await database.Started(2);
        database.Answer([9]);

        AssertAnswer(9, false, await joined);
        Assert.Equal(0, reads.InFlight);
    }

    /// <summary>
    /// Writers commit versions while Describes read: every answer is at least the version committed before its
    /// Describe arrived (what linearizability asks of a read), however reads are shared.
    /// </summary>
    [Fact]
    public async Task Under_Racing_Writes_No_Describe_Is_Answered_Older_Than_What_Was_Committed_Before_It_Arrived()
    {
        var reads = new SharedMissReads();
        long committed = 0;
        var stale = 0;
        var shared = 0;
        using var stop = new CancellationTokenSource();

        async Task<byte[]?> ReadCommitted(string account, ResourceId id, CancellationToken ct)
        {
            var version = Volatile.Read(ref committed); // the statement's snapshot
            await Task.Delay(1, ct); // its round trip, during which writes go on
            return BitConverter.GetBytes(version);
        }

        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref committed);
                await Task.Yield();
            }
        });

        var describers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 300; i++)
            {
                var before = Volatile.Read(ref committed);
                var (answer, wasShared) = await reads.ReadAsync(Account, Node, reads.Arrive(), ReadCommitted, CancellationToken.None);
                Interlocked.Add(ref stale, BitConverter.ToInt64(answer) < before ? 1 : 0);
                Interlocked.Add(ref shared, wasShared ? 1 : 0);
            }
        })).ToArray();
        await Task.WhenAll(describers);
        await stop.CancelAsync();
        await writer;

        Assert.Equal(0, Volatile.Read(ref stale));
        Assert.True(Volatile.Read(ref shared) > 0, "16 Describes missing one resource at once shared no read");
        Assert.Equal(0, reads.InFlight);
    }

    /// <summary>A Describe's ticket taken first (not yet reading), then a read of <see cref="Node"/> started by a later one and not yet answered.</summary>
    private static async Task<(SharedMissReads Reads, GatedReads Database, long Early, Task<(byte[]? Answer, bool Shared)> First)> AReadInFlightAfterAnEarlyArrival()
    {
        var reads = new SharedMissReads();
        var database = new GatedReads();
        var early = reads.Arrive();
        var first = reads.ReadAsync(Account, Node, reads.Arrive(), database.ReadAsync, CancellationToken.None);
        await database.Started(1);
        return (reads, database, early, first);
    }

    private static void AssertAnswer(byte expected, bool shared, (byte[]? Answer, bool Shared) actual)
    {
        Assert.Equal(new[] { expected }, actual.Answer);
        Assert.Equal(shared, actual.Shared);
    }

    /// <summary>A database whose reads wait until the test answers them, in the order they started.</summary>
    private sealed class GatedReads
    {
        private readonly List<TaskCompletionSource<byte[]?>> pending = [];
        private readonly Lock gate = new();
        private int answered;

        public int Reads
        {
            get
            {
                lock (gate)
                {
                    return pending.Count;
                }
            }
        }

        public Task<byte[]?> ReadAsync(string account, ResourceId id, CancellationToken ct)
        {
            var read = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (gate)
            {
                pending.Add(read);
            }

            return read.Task;
        }

        public async Task Started(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (Reads < count)
            {
                await Task.Delay(5, timeout.Token);
            }
        }

        public void Answer(byte[] answer) => Next().SetResult(answer);

        public void Fail(Exception e) => Next().SetException(e);

        private TaskCompletionSource<byte[]?> Next()
        {
            lock (gate)
            {
                return pending[answered++];
            }
        }
    }
}
