using Mesh.Api.Resources;

namespace Mesh.Api.Tests;

/// <summary>
/// The caller of database work stops waiting when its token is cancelled, whatever the work does; the work left
/// behind is cancelled by its own token and reported once it ends (see <see cref="DeadlineRace"/>).
/// </summary>
public sealed class DeadlineRaceTests
{
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
        }, caller.Token, task => ended.SetResult(task));

        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        // The work was asked to stop too (on the thread pool), and is reported when it ends, here having committed.
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
    public async Task WorkThatEnds_IsAnsweredWithItsResultOrError_AndNotReportedAsAbandoned()
    {
        var reported = false;
        Assert.Equal(3, await DeadlineRace.RunAsync(_ => Task.FromResult(3), CancellationToken.None, _ => reported = true));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DeadlineRace.RunAsync<int>(_ => Task.FromException<int>(new InvalidOperationException("refused")), CancellationToken.None, _ => reported = true));
        Assert.False(reported);
    }

    [Fact]
    public async Task ACallerCancelledBeforeTheStart_DoesNotStartTheWork()
    {
        var started = false;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            DeadlineRace.RunAsync(_ => { started = true; return Task.FromResult(1); }, new CancellationToken(canceled: true), _ => { }));
        Assert.False(started);
    }
}
