using Envoy.Admin.V3;
using Envoy.Service.Status.V3;
using Envoy.Type.Matcher.V3;
using Mesh.Model.Identity;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>A model of an xDS client on one stream, as the model tests drive it (<see cref="ModelRun"/>).</summary>
internal interface IModelClient : IAsyncDisposable
{
    /// <summary>Why the stream failed, if it did.</summary>
    Exception? Failure { get; }

    /// <summary>Asks for one more endpoint or route configuration name, or one fewer; says which.</summary>
    Task<string> ChangeNamesAsync(Random random, Dictionary<string, string[]> existing);
}

/// <summary>
/// The run both xDS model tests share: the demo mesh's proxy <c>web</c> on one stream or several (replicas of one
/// workload, which the server serves partly from responses it works out once for all the identity's streams), through
/// random steps of three kinds (a mesh change, a change of the names one client asks for, a reconnect of one client);
/// most steps are checked at once, and some run into the next ones while responses are in flight. After each check
/// every client must hold what the snapshot says, within a deadline shorter than a client's own wait for a response,
/// so that what differs is seen while the stream lives.
/// </summary>
internal static class ModelRun
{
    public static readonly ProxyIdentity Web = new(new MeshKey(MeshRows.Account, "demo"), ProxyKind.VirtualNode, "web");
    public static readonly string[] WildcardTypes = [TypeUrls.Cluster, TypeUrls.Listener];
    public static readonly string[] NamedTypes = [TypeUrls.Endpoint, TypeUrls.Route];

    /// <param name="connect">Opens a stream: the first (null), or a reconnect of the client it is given.</param>
    /// <param name="difference">What the client holds that differs from what the snapshot says; null when nothing.</param>
    /// <param name="checkServerView">Checks what the server shows of the client (CSDS), once a reconnected client has caught up and at the end.</param>
    /// <param name="clients">How many streams of the one proxy identity run at once.</param>
    public static async Task RunAsync<TClient>(
        XdsTestHost host,
        int seed,
        int steps,
        Func<TClient?, Task<TClient>> connect,
        Func<TClient, string?> difference,
        Func<TClient, string, Task> checkServerView,
        int clients = 1)
        where TClient : class, IModelClient
    {
        var random = new Random(seed);
        var mesh = new RandomDemoMesh(random);
        host.Producer.SetMesh(mesh.Rows.Key, mesh.Rows.Graph);
        var all = new List<TClient>();
        var (meshChanges, nameChanges, reconnects) = (0, 0, 0);
        var burst = new List<string>();
        try
        {
            for (var i = 0; i < clients; i++)
            {
                all.Add(await connect(null));
            }

            await ConvergedAsync(all, difference, "the first connect");
            for (var step = 0; step < steps; step++)
            {
                string what;
                var one = random.Next(all.Count);
                var who = clients == 1 ? "" : $"client {one}: ";
                switch (random.Next(10))
                {
                    case < 5:
                        what = mesh.Change();
                        host.Producer.SetMesh(mesh.Rows.Key, mesh.Rows.Graph);
                        meshChanges++;
                        break;
                    case < 9:
                        what = who + await all[one].ChangeNamesAsync(random, ExistingNames(host));
                        nameChanges++;
                        break;
                    default:
                        if (burst.Count > 0)
                        {
                            await ConvergedAsync(all, difference, $"seed {seed}, step {step}: {string.Join("; ", burst)}");
                            burst.Clear();
                        }

                        // (Other streams of the identity stay on: only a check of one stream's CSDS view needs it alone.)
                        await all[one].DisposeAsync();
                        all[one] = await connect(all[one]);
                        await ConvergedAsync(all, difference, $"seed {seed}, step {step}: {who}reconnected");
                        if (clients == 1)
                        {
                            await checkServerView(all[one], $"seed {seed}, step {step}: reconnected");
                        }

                        what = who + "reconnected";
                        reconnects++;
                        break;
                }

                burst.Add(what);
                if (random.Next(3) > 0)
                {
                    await ConvergedAsync(all, difference, $"seed {seed}, step {step}: {string.Join("; ", burst)}");
                    burst.Clear();
                }
            }

            await ConvergedAsync(all, difference, $"seed {seed}, the last steps: {string.Join("; ", burst)}");
            if (clients == 1)
            {
                await checkServerView(all[0], $"seed {seed}, the last steps");
            }
        }
        finally
        {
            foreach (var client in all)
            {
                await client.DisposeAsync();
            }
        }

        Assert.True(meshChanges > steps * 3 / 10 && nameChanges > steps / 4 && reconnects > 2,
            $"{meshChanges} mesh changes, {nameChanges} name changes, {reconnects} reconnects");
    }

    /// <summary>
    /// Asks CSDS until the proxy's one stream shows exactly what <paramref name="expected"/> says the client holds, each
    /// resource as a line <paramref name="line"/> writes (given what is expected), and fails at the deadline saying what
    /// differs. The stream before a reconnect may still be listed for a moment: only one stream's view is compared.
    /// </summary>
    public static async Task CsdsShowsAsync(
        XdsTestHost host,
        Func<SortedSet<string>> expected,
        Func<ClientConfig.Types.GenericXdsConfig, SortedSet<string>, string> line,
        string after)
    {
        var csds = new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(host.Channel);
        var request = new ClientStatusRequest();
        request.NodeMatchers.Add(new NodeMatcher { NodeId = new StringMatcher { Exact = MeshRows.NodeId("web") } });
        var deadline = DateTime.UtcNow + TaskTimeouts.Default / 2;
        while (true)
        {
            var held = expected();
            var configs = (await csds.FetchClientStatusAsync(request).ResponseAsync.DefaultTimeout()).Config;
            var shown = configs.Count == 1 ? new SortedSet<string>(configs[0].GenericXdsConfigs.Select(g => line(g, held)), StringComparer.Ordinal) : [];
            if (shown.SetEquals(held))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline,
                $"after {after}, CSDS ({configs.Count} streams) does not show what the client holds:\nnot shown: "
                + string.Join("\n  ", held.Except(shown)) + "\nshown, not held: " + string.Join("\n  ", shown.Except(held)));
            await Task.Delay(10);
        }
    }

    /// <summary>The names of endpoints and route configurations that exist now, from which the client's names are drawn.</summary>
    private static Dictionary<string, string[]> ExistingNames(XdsTestHost host)
    {
        var snapshot = host.Cache.Current(Web);
        return NamedTypes.ToDictionary(t => t, t => snapshot is null ? [] : snapshot[t].All.Select(r => r.Name).ToArray());
    }

    private static async Task ConvergedAsync<TClient>(List<TClient> clients, Func<TClient, string?> difference, string after)
        where TClient : IModelClient
    {
        var deadline = DateTime.UtcNow + TaskTimeouts.Default / 2;
        for (var i = 0; i < clients.Count; i++)
        {
            var client = clients[i];
            string? differs;
            while ((differs = difference(client)) is not null)
            {
                // A stream that failed will not catch up; one that is only slow gets until the deadline.
                Assert.True(client.Failure is null && DateTime.UtcNow < deadline,
                    $"after {after}, client {i} of {clients.Count} does not hold what the snapshot says:\n{differs}"
                    + (client.Failure is { } failure ? $"\nand its stream failed: {failure.Message}" : ""));
                await Task.Delay(10);
            }
        }
    }
}

/// <summary>
/// A model client's stream plumbing: one task that reads responses and hands each to the client (which applies it and
/// ACKs or NACKs) until the client stops it, what ended the stream if the client did not; and one write at a time to
/// the requests, since the reader ACKs while the test changes names, and a gRPC request stream takes no second write
/// while one is pending (the test clients' writes would drop it).
/// </summary>
internal sealed class ModelStream
{
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private Task _reading = Task.CompletedTask;

    /// <summary>Why the stream failed, if it did.</summary>
    public Exception? Failure { get; private set; }

    /// <param name="next">The next response (a <see cref="TimeoutException"/>: none for a while).</param>
    /// <param name="handle">What the client does with it.</param>
    public void Start<TResponse>(Func<Task<TResponse>> next, Func<TResponse, Task> handle) => _reading = ReadAsync(next, handle);

    public async Task WriteAsync(Func<Task> write)
    {
        await _writing.WaitAsync();
        try
        {
            await write();
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Stops reading, closes the stream with <paramref name="close"/>, and waits for the reader to end.</summary>
    public async ValueTask StopAsync(Func<ValueTask> close)
    {
        await _stop.CancelAsync();
        await close();
        try
        {
            await _reading.WaitAsync(TaskTimeouts.Default);
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException or InvalidOperationException)
        {
            // the stream ended with the client
        }
    }

    private async Task ReadAsync<TResponse>(Func<Task<TResponse>> next, Func<TResponse, Task> handle)
    {
        await Task.Yield();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                TResponse response;
                try
                {
                    response = await next();
                }
                catch (TimeoutException)
                {
                    continue; // nothing sent for a while: a quiet stream
                }

                await handle(response);
            }
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            Failure = e;
        }
    }
}
