using Envoy.Service.Discovery.V3;
using Mesh.Model.Graph;
using Mesh.Translation;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>
/// Snapshots are produced outside the cache's lock: while the translation of one mesh is stuck, another mesh's new
/// stream gets its first response, /metrics answers, and the stuck mesh's own stream gets its update once the
/// translation finishes. With translation under the cache's lock, the new stream would wait for the stuck one.
/// </summary>
public sealed class SlowTranslationTests
{
    [Fact]
    public async Task A_Stuck_Translation_Of_One_Mesh_Does_Not_Delay_A_New_Stream_Of_Another()
    {
        var translator = new GatedTranslator("slow");
        await using var host = await XdsTestHost.StartAsync(translator: translator);
        var slow = MeshRows.Demo("slow");
        var fast = MeshRows.Demo("fast");
        host.Producer.SetMesh(slow.Key, slow.Graph);
        host.Producer.SetMesh(fast.Key, fast.Graph);
        await using var slowClient = AdsClient.Connect(host.Channel, MeshRows.NodeId("web", "slow"));
        await slowClient.SendAsync(TypeUrls.Cluster);
        var before = await slowClient.NextAsync();
        await slowClient.AckAsync(before);

        translator.Close();
        var change = Task.Run(() => host.Producer.SetMesh(slow.Key, slow.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph));
        await translator.Entered.WaitAsync(TaskTimeouts.Default);

        await using var fastClient = AdsClient.Connect(host.Channel, MeshRows.NodeId("web", "fast"));
        await fastClient.SendAsync(TypeUrls.Cluster);
        DiscoveryResponse first = await fastClient.NextAsync();
        var metrics = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();

        Assert.NotEmpty(first.Resources);
        Assert.Contains("mesh_xds_proxy_identities", metrics); // the gauge reads the cache
        Assert.Equal(2, host.Cache.WatchedIdentities);
        Assert.False(change.IsCompleted, "the slow mesh's translation was still stuck while the other mesh was served");

        translator.Open();
        await change.DefaultTimeout();
        var after = await slowClient.NextAsync();
        Assert.NotEqual(before.VersionInfo, after.VersionInfo);
    }

    /// <summary>The product's translator; while closed, every translation of the named mesh waits for the gate to open.</summary>
    private sealed class GatedTranslator(string meshName) : IProxyTranslator
    {
        private readonly MeshTranslator _inner = new();
        private volatile TaskCompletionSource _gate = Opened();

        /// <summary>Completed once a translation of the mesh is waiting at the closed gate.</summary>
        public TaskCompletionSource EnteredSource { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => EnteredSource.Task;

        public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _gate.TrySetResult();

        public ProxyResources TranslateProxy(MeshGraph graph, ProxyTarget target)
        {
            var gate = _gate.Task;
            if (graph.MeshName == meshName && !gate.IsCompleted)
            {
                EnteredSource.TrySetResult();

                // Bounded, so a broken test fails instead of hanging the suite; longer than the other stream's wait
                // for its first response, so a server that makes that stream wait for this translation fails the test.
                gate.Wait(TaskTimeouts.Default * 2);
            }

            return _inner.TranslateProxy(graph, target);
        }

        private static TaskCompletionSource Opened()
        {
            var opened = new TaskCompletionSource();
            opened.SetResult();
            return opened;
        }
    }
}
