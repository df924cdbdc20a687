namespace Mesh.Api.Resources;

/// <summary>
/// Runs database work so that its caller stops waiting when the call's token is cancelled (the deadline passed, or
/// the client went away), even while PostgreSQL answers nothing at all.
/// </summary>
/// <remarks>
/// <para>
/// Npgsql cancels a running command by sending PostgreSQL a cancel request on a new connection and then waiting,
/// synchronously and with no time limit, for the server to close that connection; only then does its
/// <c>Cancellation Timeout</c> start. A frozen server (SIGSTOP, a stalled VM) has that connection accepted by its
/// kernel and closes it only once it runs again. So a write whose token fired while the server was frozen waited for
/// the server, and if its batch carried the COMMIT (a write in one round trip) it then finished normally: the call
/// answered 200 seconds after its deadline (issue14j).
/// </para>
/// <para>
/// Here the work gets a token of its own. When the caller's token is cancelled first, the caller gets
/// <see cref="OperationCanceledException"/> at once; the work's token is cancelled by <see cref="DatabaseCancels"/>
/// (Npgsql's cancel request may block the thread that sends it until the server answers: one thread of its own for
/// all of them, never the call's and not the thread pool's, issue14p), and the work ends in the background, disposing
/// what it opened. A write is one transaction, so it is then applied whole or not at all, and which of the two the
/// caller cannot know: it answers 503 saying so, and a retry with the same clientToken answers with what was
/// committed (the token's claim is taken first, so the retry waits for the abandoned transaction to end).
/// </para>
/// </remarks>
public static class DeadlineRace
{
    /// <summary>
    /// Runs <paramref name="work"/> until it ends or <paramref name="callToken"/> is cancelled. Work left behind by a
    /// cancelled caller is cancelled through <paramref name="cancels"/>, and <paramref name="abandoned"/> is called with
    /// it at once, before the caller's <see cref="OperationCanceledException"/> is thrown (to follow how it ends: whether
    /// it committed after all).
    /// </summary>
    public static Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken callToken, DatabaseCancels cancels,
        Action<Task<T>> abandoned) =>
        RunAsync(static (work, ct) => work(ct), work, callToken, cancels, abandoned);

    /// <summary>
    /// As <see cref="RunAsync{T}(Func{CancellationToken, Task{T}}, CancellationToken, DatabaseCancels, Action{Task{T}})"/>,
    /// with what the work needs passed as <paramref name="state"/> (no closure per call on a hot path).
    /// </summary>
    public static Task<T> RunAsync<TState, T>(Func<TState, CancellationToken, Task<T>> work, TState state, CancellationToken callToken,
        DatabaseCancels cancels, Action<Task<T>> abandoned) =>
        RunAsync(work, state, callToken, cancels, abandoned, static (report, running) => report(running));

    /// <summary>
    /// As <see cref="RunAsync{TState, T}(Func{TState, CancellationToken, Task{T}}, TState, CancellationToken, DatabaseCancels, Action{Task{T}})"/>,
    /// with <paramref name="abandoned"/> given <paramref name="state"/> too: a caller whose report needs what its work
    /// needs makes no closure for either (a write, issue14aw).
    /// </summary>
    public static Task<T> RunAsync<TState, T>(Func<TState, CancellationToken, Task<T>> work, TState state, CancellationToken callToken,
        DatabaseCancels cancels, Action<TState, Task<T>> abandoned) =>
        RunAsync(work, state, callToken, cancels, state, abandoned);

    private static async Task<T> RunAsync<TState, TReport, T>(Func<TState, CancellationToken, Task<T>> work, TState state, CancellationToken callToken,
        DatabaseCancels cancels, TReport report, Action<TReport, Task<T>> abandoned)
    {
        callToken.ThrowIfCancellationRequested();
        var own = new CancellationTokenSource();
        var running = work(state, own.Token);
        try
        {
            var result = await running.WaitAsync(callToken);
            own.Dispose();
            return result;
        }
        catch (OperationCanceledException) when (callToken.IsCancellationRequested && !running.IsCompleted)
        {
            // Not own.Cancel() here: Npgsql's callback on it may block until the server runs again. The source is not
            // disposed, as its callback may still be running when the work ends; it holds no timer.
            cancels.Cancel(own);
            abandoned(report, running);
            throw;
        }
        catch when (running.IsCompleted)
        {
            own.Dispose();
            if (running.IsCompletedSuccessfully)
            {
                // It ended as the token was cancelled: its outcome is known, so it is answered.
                return running.Result;
            }

            throw;
        }
    }
}
