using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Api.Protocol;

namespace Mesh.Api.Resources;

/// <summary>
/// Runs a read operation (Describe, List, ListTagsForResource) through <see cref="DeadlineRace"/>, so that its caller is
/// answered at the deadline even while PostgreSQL answers nothing (a frozen server: SIGSTOP, a stalled VM).
/// </summary>
/// <remarks>
/// Reads were given the call's own token: at the deadline Npgsql sent its cancel request, and waited for the frozen
/// server to close that connection before the read could end, so a Describe started during a freeze answered only
/// when the server ran again, up to 17 s for a 3 s deadline (issue14p). A read has no outcome to settle: the caller
/// is answered ServiceUnavailableException at once, the read is cancelled on the database-cancel thread
/// (<see cref="DatabaseCancels"/>, never a pool thread), counted in <c>mesh_api_read_abandoned_total</c>, and whatever it
/// finds later is dropped.
/// </remarks>
public sealed class ReadRace(DatabaseCancels cancels, ApiMetrics metrics)
{
    private readonly Action<Task<JsonObject>> abandoned = running =>
    {
        metrics.ReadAbandoned(AbandonedRead.Resource);
        _ = running.ContinueWith(static ended => _ = ended.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    };

    /// <summary><paramref name="read"/> for <paramref name="call"/>, answered no later than <paramref name="callToken"/> is cancelled.</summary>
    public Task<JsonObject> RunAsync(Func<ApiCall, JsonObject, CancellationToken, Task<JsonObject>> read, ApiCall call, JsonObject input,
        CancellationToken callToken) =>
        DeadlineRace.RunAsync(static (state, ct) => state.read(state.call, state.input, ct), (read, call, input), callToken, cancels, abandoned);
}
