using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Api.Protocol;

namespace Mesh.Api.Resources;

/// <summary>
/// Runs a read through <see cref="DeadlineRace"/>, so that its caller is answered at the deadline even while PostgreSQL
/// answers nothing (a frozen server: SIGSTOP, a stalled VM): App Mesh's Describe, List and ListTagsForResource, Cloud
/// Map's Get, List and Discover operations, the console's audit log and <c>/readyz</c>'s database check.
/// </summary>
/// <remarks>
/// Reads were given the call's own token: at the deadline Npgsql sent its cancel request, and waited for the frozen
/// server to close that connection before the read could end, so a read started during a freeze answered only
/// when the server ran again, up to 17 s for a 3 s deadline (issue14p; Cloud Map's and the console's until issue14x).
/// A read has no outcome to settle: the caller is answered ServiceUnavailableException at once, the read is cancelled
/// on the database-cancel thread (<see cref="DatabaseCancels"/>, never a pool thread), counted in
/// <c>mesh_api_read_abandoned_total</c> by what it read (<see cref="AbandonedRead"/>), and whatever it finds later is
/// dropped.
/// </remarks>
public sealed class ReadRace
{
    private readonly DatabaseCancels cancels;
    private readonly ApiMetrics metrics;
    private readonly Action<Task<JsonObject>> resourceAbandoned;
    private readonly Action<Task<JsonObject>> cloudMapAbandoned;

    public ReadRace(DatabaseCancels cancels, ApiMetrics metrics)
    {
        this.cancels = cancels;
        this.metrics = metrics;
        resourceAbandoned = Abandoned<JsonObject>(AbandonedRead.Resource);
        cloudMapAbandoned = Abandoned<JsonObject>(AbandonedRead.CloudMap);
    }

    /// <summary>App Mesh's <paramref name="read"/> for <paramref name="call"/>, answered no later than <paramref name="callToken"/> is cancelled.</summary>
    public Task<JsonObject> RunAsync(Func<ApiCall, JsonObject, CancellationToken, Task<JsonObject>> read, ApiCall call, JsonObject input,
        CancellationToken callToken) =>
        Run(read, call, input, callToken, resourceAbandoned);

    /// <summary>
    /// An App Mesh read given what it needs as <paramref name="state"/> rather than a call and its bound input (a
    /// Describe bound into its resource's id), answered no later than <paramref name="callToken"/> is cancelled.
    /// </summary>
    public Task<JsonObject> RunResourceAsync<TState>(Func<TState, CancellationToken, Task<JsonObject>> read, TState state,
        CancellationToken callToken) =>
        DeadlineRace.RunAsync(read, state, callToken, cancels, resourceAbandoned);

    /// <summary>As <see cref="RunAsync(Func{ApiCall, JsonObject, CancellationToken, Task{JsonObject}}, ApiCall, JsonObject, CancellationToken)"/>, for Cloud Map.</summary>
    public Task<JsonObject> RunCloudMapAsync(Func<ApiCall, JsonObject, CancellationToken, Task<JsonObject>> read, ApiCall call, JsonObject input,
        CancellationToken callToken) =>
        Run(read, call, input, callToken, cloudMapAbandoned);

    /// <summary>
    /// Any other <paramref name="read"/> (<paramref name="what"/>: one of <see cref="AbandonedRead"/>'s names), answered
    /// no later than <paramref name="callToken"/> is cancelled. For reads off the hot path: it allocates a delegate per call.
    /// </summary>
    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> read, string what, CancellationToken callToken) =>
        DeadlineRace.RunAsync(read, callToken, cancels, Abandoned<T>(what));

    private Task<JsonObject> Run(Func<ApiCall, JsonObject, CancellationToken, Task<JsonObject>> read, ApiCall call, JsonObject input,
        CancellationToken callToken, Action<Task<JsonObject>> abandoned) =>
        DeadlineRace.RunAsync(static (state, ct) => state.read(state.call, state.input, ct), (read, call, input), callToken, cancels, abandoned);

    private Action<Task<T>> Abandoned<T>(string what) => running =>
    {
        metrics.ReadAbandoned(what);
        _ = running.ContinueWith(static ended => _ = ended.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    };
}
