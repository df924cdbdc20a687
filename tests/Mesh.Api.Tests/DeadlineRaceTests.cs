using Mesh.Api.Resources;

namespace Mesh.Api.Tests;

/// <summary>
/// The caller of database work stops waiting when its token is cancelled, whatever the work does; the work left
/// behind is cancelled by its own token and reported once it ends (see <see cref="DeadlineRace"/>).
/// </summary>
public sealed class DeadlineRaceTests
{
    private static readonly DatabaseCancels Cancels = new(DatabaseCancels.DefaultCapacity, () => { }, _ => { });

    [Fact]
    public async Task ACancelledCaller_StopsWaiting_WhileTheWorkIgnoresCancellation()
    {
        // Work that, like Npgsql's read on a frozen server, ends only when released (it ignores its token).
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var workToken = new TaskCompletionSource<CancellationToken>();
        var ended = new TaskCompletionSource<Task<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var caller = new CancellationTokenSource();

        var call = DeadlineRace.RunAsync(token =>
        {
            workToken.SetResult(token);
            return release.Task;
        }, caller.Token, Cancels, running => running.ContinueWith(task => ended.SetResult(task), TaskScheduler.Default));

        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        // The work was asked to stop too (on the cancel thread), and is followed until it ends, here having committed.
        var token = await workToken.Task;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(10, timeout.Token);
        }

        Assert.False(ended.Task.IsCompleted);
        release.SetResult(7);
        var endedWork = await ended.Task.WaitAsync(timeout.Token);
        Assert.Equal(7, await endedWork);
    }

    [Fact]
    public async Task AbandonedWorkGivenState_IsReportedWithTheSameState_AndTheRunningWork()
    {
        // The write path's form (WriteTransactions): what the work and the report need is one state, with no closure.
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reported = new TaskCompletionSource<(object State, Task<string> Running)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var state = (Release: release, Reported: reported, Name: "write 1");
        using var caller = new CancellationTokenSource();

        var call = DeadlineRace.RunAsync(static (state, _) => state.Release.Task, state, caller.Token, Cancels,
            static (state, running) => state.Reported.SetResult((state.Name, running)));
        Assert.False(reported.Task.IsCompleted);

        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var (reportedState, running) = await reported.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("write 1", reportedState);
        Assert.False(running.IsCompleted);
        release.SetResult("committed");
        Assert.Equal("committed", await running.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task WorkGivenStateThatEnds_IsAnsweredWithItsResultOrError_AndNotReportedAsAbandoned()
    {
        var reported = false;
        var state = (Value: 5, Error: new InvalidOperationException("refused"));
        Assert.Equal(5, await DeadlineRace.RunAsync(static (state, _) => Task.FromResult(state.Value), state, CancellationToken.None, Cancels,
            (_, _) => reported = true));
        await Assert.ThrowsAsync<InvalidOperationException>(() => DeadlineRace.RunAsync(static (state, _) => Task.FromException<int>(state.Error), state,
            CancellationToken.None, Cancels, (_, _) => reported = true));
        Assert.False(reported);
    }

    [Fact]
    public async Task WorkThatEnds_IsAnsweredWithItsResultOrError_AndNotReportedAsAbandoned()
    {
        var reported = false;
        Assert.Equal(3, await DeadlineRace.RunAsync(_ => Task.FromResult(3), CancellationToken.None, Cancels, _ => reported = true));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DeadlineRace.RunAsync<int>(_ => Task.FromException<int>(new InvalidOperationException("refused")), CancellationToken.None, Cancels, _ => reported = true));
        Assert.False(reported);
    }

    [Fact]
    public async Task ACallerCancelledBeforeTheStart_DoesNotStartTheWork()
    {
        var started = false;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            DeadlineRace.RunAsync(_ => { started = true; return Task.FromResult(1); }, new CancellationToken(canceled: true), Cancels, _ => { }));
        Assert.False(started);
    }

    [Fact]
    public async Task CancelsOfAbandonedWork_AreSentOneAtATime_OffTheThreadPool_AndBeyondTheBoundNotAtAll()
    {
        // Each work's cancellation blocks until the server answers, as Npgsql's cancel request does on a frozen server.
        using var server = new ManualResetEventSlim(false);
        var entered = 0;
        var poolThreadsUsed = 0;
        var skipped = 0;
        using var cancels = new DatabaseCancels(capacity: 3, () => Interlocked.Increment(ref skipped), _ => { });
        var works = new List<TaskCompletionSource<int>>();
        var firstEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < 8; i++)
        {
            var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            works.Add(release);
            using var caller = new CancellationTokenSource();
            var call = DeadlineRace.RunAsync(token =>
            {
                token.Register(() =>
                {
                    Interlocked.Increment(ref entered);
                    if (Thread.CurrentThread.IsThreadPoolThread)
                    {
                        Interlocked.Increment(ref poolThreadsUsed);
                    }

                    firstEntered.TrySetResult();
                    server.Wait();
                });
                return release.Task;
            }, caller.Token, cancels, _ => { });
            await caller.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
            if (i == 0)
            {
                // The cancel thread must hold the first cancel before the rest are queued; otherwise the first is
                // still in the queue, takes one of its three places, and one more than four is not sent.
                await firstEntered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }

        // Every caller was answered. The first cancel holds the cancel thread; three wait behind it, the other four are
        // not sent (counted). Sent from the thread pool, all eight would be blocked at once, each on a pool thread.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await firstEntered.Task.WaitAsync(timeout.Token);
        await Task.Delay(200, timeout.Token);
        Assert.Equal((1, 0, 4), (Volatile.Read(ref entered), Volatile.Read(ref poolThreadsUsed), Volatile.Read(ref skipped)));

        // The server answers again: the queued cancels are sent, one after the other.
        server.Set();
        while (Volatile.Read(ref entered) < 4)
        {
            await Task.Delay(10, timeout.Token);
        }

        Assert.Equal((4, 0), (Volatile.Read(ref entered), Volatile.Read(ref poolThreadsUsed)));
        foreach (var work in works)
        {
            work.SetResult(0);
        }
    }
}
