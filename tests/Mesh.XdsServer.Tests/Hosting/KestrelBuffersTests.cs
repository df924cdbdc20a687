using System.Buffers;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Hosting.Buffers;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The server's own pool for Kestrel's buffers (<see cref="BlockPool"/>, <see cref="KestrelBlockPools"/>): blocks are
/// reused, idle ones are freed by halves, its state is in /metrics, and with <c>Xds:KestrelBuffers</c> set the socket
/// transport really buffers in it (docs/benchmarks.md, issue13v).
/// </summary>
public sealed class KestrelBuffersTests
{
    [Fact]
    public void A_Returned_Block_Is_Rented_Again_Instead_Of_A_New_One()
    {
        using var pool = new BlockPool(new HeapBlocks());

        var first = pool.Rent();
        first.Memory.Span.Fill(7);
        var firstMemory = first.Memory;
        Assert.Equal(BlockPool.DefaultBlockSize, first.Memory.Length);
        Assert.Equal((1, 0, 1), (pool.Rented, pool.Retained, pool.Allocated));

        first.Dispose();
        Assert.Equal((0, 1, 1), (pool.Rented, pool.Retained, pool.Allocated));

        using var again = pool.Rent(100);
        Assert.True(again.Memory.Span.Overlaps(firstMemory.Span), "the returned block was not the one rented again");
        Assert.Equal((1, 0, 1), (pool.Rented, pool.Retained, pool.Allocated));

        using var second = pool.Rent();
        Assert.False(second.Memory.Span.Overlaps(again.Memory.Span));
        Assert.Equal((2, 0, 2), (pool.Rented, pool.Retained, pool.Allocated));
    }

    [Fact]
    public void A_Block_Disposed_Twice_Is_Pooled_Once_And_Counted()
    {
        using var pool = new BlockPool(new HeapBlocks());
        var block = pool.Rent();

        block.Dispose();
        block.Dispose();

        Assert.Equal((0, 1, 1), (pool.Rented, pool.Retained, pool.ReturnedTwice));
        using var one = pool.Rent();
        using var two = pool.Rent();
        Assert.False(one.Memory.Span.Overlaps(two.Memory.Span));
    }

    [Fact]
    public void Renting_And_Returning_Pooled_Blocks_Allocates_Nothing()
    {
        // A route change at 10,000 proxies with the node on every request returns about 170,000 blocks to the pools:
        // a return must not leave garbage behind (a ConcurrentStack made a 32-byte node for each; docs/benchmarks.md,
        // issue13bk). Counted on this thread, so nothing else running in the process can add to it.
        using var pool = new BlockPool(new HeapBlocks());
        var held = new IMemoryOwner<byte>[100];
        RentAndReturnAll(pool, held); // makes the blocks, and grows the free list to hold them all

        var allocated = ThreadAllocations.InMostRounds(() =>
        {
            for (var round = 0; round < 50; round++)
            {
                RentAndReturnAll(pool, held);
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal((0, 100, 100), (pool.Rented, pool.Retained, pool.Allocated));
    }

    private static void RentAndReturnAll(BlockPool pool, IMemoryOwner<byte>[] held)
    {
        for (var i = 0; i < held.Length; i++)
        {
            held[i] = pool.Rent();
        }

        foreach (var block in held)
        {
            block.Dispose();
        }
    }

    [Fact]
    public void More_Than_A_Block_Is_Refused_As_Kestrel_Expects_Of_Its_Pools()
    {
        using var pool = new BlockPool(new HeapBlocks());

        Assert.Equal(BlockPool.DefaultBlockSize, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(BlockPool.DefaultBlockSize + 1));
    }

    [Fact]
    public void Heap_Blocks_Are_Arrays_Because_The_Socket_Sends_Several_Blocks_As_Array_Segments()
    {
        using var pool = new BlockPool(new HeapBlocks());
        using var block = pool.Rent();

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(block.Memory, out var segment));
        Assert.Equal(BlockPool.DefaultBlockSize, segment.Count);
    }

    [Fact]
    public void Blocks_Idle_For_A_Whole_Interval_Are_Freed_By_Halves_And_Busy_Ones_Are_Kept()
    {
        using var pool = new BlockPool(new HeapBlocks());
        var blocks = Enumerable.Range(0, 16).Select(_ => pool.Rent()).ToList();
        blocks.ForEach(b => b.Dispose());
        Assert.Equal(16, pool.Retained);

        // The blocks came back during this interval: none was idle for all of it.
        Assert.Equal(0, pool.ReleaseIdle());
        Assert.Equal(16, pool.Retained);

        // A load that used 6 at once during the next interval: 10 stayed idle, half of them go.
        var busy = Enumerable.Range(0, 6).Select(_ => pool.Rent()).ToList();
        busy.ForEach(b => b.Dispose());
        Assert.Equal(5, pool.ReleaseIdle());
        Assert.Equal(11, pool.Retained);

        // No load at all: halves, down to nothing.
        var freed = new List<int>();
        while (pool.Retained > 0)
        {
            freed.Add(pool.ReleaseIdle());
        }

        Assert.Equal([5, 3, 1, 1, 1], freed);
        Assert.Equal(16, pool.Released);
        Assert.Equal(0, pool.ReleaseIdle());
    }

    [Fact]
    public void Blocks_The_Busiest_Remembered_Interval_Needed_Are_Kept_Then_Freed_By_Halves()
    {
        using var pool = new BlockPool(new HeapBlocks(), peakIntervals: 3);
        Assert.Equal(0, pool.PeakKept);

        // A burst (a change) needs 10 at once; they all come back.
        var burst = Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToList();
        burst.ForEach(b => b.Dispose());
        Assert.Equal(0, pool.ReleaseIdle());
        Assert.Equal(10, pool.PeakKept);

        // Two quieter intervals (2 out at once, then none): 8 and then 10 idle all along, but the burst is remembered.
        var quiet = Enumerable.Range(0, 2).Select(_ => pool.Rent()).ToList();
        quiet.ForEach(b => b.Dispose());
        Assert.Equal(0, pool.ReleaseIdle());
        Assert.Equal(0, pool.ReleaseIdle());
        Assert.Equal((10, 10, 0), (pool.Retained, pool.PeakKept, pool.Released));

        // A burst like the first within the remembered intervals reuses every block: nothing new is made.
        var again = Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToList();
        again.ForEach(b => b.Dispose());
        Assert.Equal(10, pool.Allocated);

        // Its interval and the two after it keep every block; once three intervals passed with none out, the blocks
        // go by halves.
        Assert.Equal(0, pool.ReleaseIdle());
        Assert.Equal(0, pool.ReleaseIdle());
        Assert.Equal(0, pool.ReleaseIdle());
        Assert.Equal((10, 10), (pool.Retained, pool.PeakKept));
        var freed = new List<int>();
        while (pool.Retained > 0)
        {
            freed.Add(pool.ReleaseIdle());
        }

        Assert.Equal([5, 2, 1, 1, 1], freed);
        Assert.Equal((0, 10), (pool.PeakKept, pool.Released));
    }

    [Fact]
    public void The_Factory_Keeps_The_Peak_For_Whole_Release_Intervals_And_Counts_It()
    {
        var time = new CapturedTimer();
        using var pools = new KestrelBlockPools(new HeapBlocks(), time, peakKeptFor: TimeSpan.FromSeconds(25));
        Assert.Equal(TimeSpan.FromSeconds(30), pools.PeakKeptFor);
        var first = pools.Create();
        var second = pools.Create();
        Enumerable.Range(0, 8).Select(_ => first.Rent()).ToList().ForEach(b => b.Dispose());
        Enumerable.Range(0, 4).Select(_ => second.Rent()).ToList().ForEach(b => b.Dispose());

        // The bursts' interval and the two after it (30 s) keep every block of both pools.
        for (var tick = 0; tick < 3; tick++)
        {
            time.Tick();
            Assert.Equal((12, 12, 0), (pools.Retained, pools.PeakKept, pools.Released));
        }

        // Then each pool frees half of its idle blocks.
        time.Tick();
        Assert.Equal((6, 0, 6, 12), (pools.Retained, pools.PeakKept, pools.Released, pools.Allocated));
    }

    [Fact]
    public void The_Factorys_Timer_Frees_Idle_Blocks_Of_Every_Pool_And_A_Disposed_Pool_Frees_Them_All()
    {
        var time = new CapturedTimer();
        using var pools = new KestrelBlockPools(new HeapBlocks(), time);
        var first = pools.Create(new Microsoft.AspNetCore.Connections.MemoryPoolOptions());
        var second = pools.Create(new Microsoft.AspNetCore.Connections.MemoryPoolOptions());
        foreach (var pool in new[] { first, second })
        {
            Enumerable.Range(0, 8).Select(_ => pool.Rent()).ToList().ForEach(b => b.Dispose());
        }

        Assert.Equal(KestrelBlockPools.ReleaseInterval, time.Period);
        Assert.Equal((0, 16, 16 * BlockPool.DefaultBlockSize), (pools.Rented, pools.Retained, pools.Bytes));

        time.Tick(); // starts the interval: the blocks just came back
        time.Tick(); // idle all of it: half of each pool's go
        Assert.Equal((8, 8, 16), (pools.Retained, pools.Released, pools.Allocated));

        var held = first.Rent();
        first.Dispose();
        // Kestrel disposed the first pool (a stop): its free blocks go at once, the one still out when it comes back.
        Assert.Equal((1, 4, 11, 16), (pools.Rented, pools.Retained, pools.Released, pools.Allocated));
        held.Dispose();
        Assert.Equal((0, 4, 12, 16), (pools.Rented, pools.Retained, pools.Released, pools.Allocated));
    }

    [Fact]
    public async Task Rents_And_Returns_From_Many_Threads_Lose_And_Duplicate_No_Block()
    {
        using var pool = new BlockPool(new HeapBlocks());
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                var held = new IMemoryOwner<byte>[4];
                for (var j = 0; j < held.Length; j++)
                {
                    held[j] = pool.Rent();
                    held[j].Memory.Span[0] = (byte)t;
                }

                foreach (var block in held)
                {
                    Assert.Equal((byte)t, block.Memory.Span[0]);
                    block.Dispose();
                }

                if (i % 500 == 0)
                {
                    pool.ReleaseIdle();
                }
            }
        })));

        Assert.Equal(0, pool.Rented);
        Assert.Equal(pool.Allocated - pool.Released, pool.Retained);
        Assert.Equal(0, pool.ReturnedTwice);
    }

    [Fact]
    public void Disposing_The_Pool_Frees_What_It_Keeps_And_Blocks_Returned_Later()
    {
        var pool = new BlockPool(new HeapBlocks());
        var kept = pool.Rent();
        var outstanding = pool.Rent();
        kept.Dispose();

        pool.Dispose();
        Assert.Equal(1, pool.Released);
        outstanding.Dispose();
        Assert.Equal((2, 0, 0), (pool.Released, pool.Retained, pool.Rented));
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }

    [Fact]
    public async Task Without_The_Settings_Kestrel_Buffers_In_The_Servers_Pool_Of_16_KiB_Blocks()
    {
        await using var host = await XdsTestHost.StartAsync();

        var pools = host.Services.GetRequiredService<KestrelBlockPools>();
        Assert.Same(pools, host.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
        Assert.Equal(16384, pools.BlockSize);
        Assert.Contains("mesh_xds_kestrel_blocks", await host.Admin.GetStringAsync("/metrics").DefaultTimeout());
    }

    [Fact]
    public async Task With_Pinned_Kestrel_Keeps_Its_Own_Pool()
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:KestrelBuffers"] = "Pinned" });

        Assert.Null(host.Services.GetService<KestrelBlockPools>());
        Assert.IsNotType<KestrelBlockPools>(host.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
        Assert.DoesNotContain("mesh_xds_kestrel_blocks", await host.Admin.GetStringAsync("/metrics").DefaultTimeout());
    }

    [Theory]
    [InlineData("4096", 4096)]
    [InlineData("65536", 65536)]
    public async Task A_Block_Size_Without_A_Kind_Sizes_The_Default_Heap_Pool(string size, int expected)
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:KestrelBlockSize"] = size });

        Assert.Equal(expected, host.Services.GetRequiredService<KestrelBlockPools>().BlockSize);
    }

    [Fact]
    public async Task A_Kind_That_Does_Not_Exist_Stops_The_Start_With_The_Setting_Named()
    {
        var refused = await Assert.ThrowsAsync<XdsConfigurationException>(() =>
            XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:KestrelBuffers"] = "Huge" }));

        Assert.Contains("Xds:KestrelBuffers 'Huge'", refused.Message);
    }

    [Fact]
    public async Task With_The_Setting_A_Real_Stream_Is_Served_From_The_Pool_And_Metrics_Show_It()
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:KestrelBuffers"] = "Heap" });
        var pools = host.Services.GetRequiredService<KestrelBlockPools>();
        Assert.Same(pools, host.Services.GetRequiredService<IMemoryPoolFactory<byte>>());

        // A proxy with many backends: its clusters are several blocks long, so the socket sends several blocks at once.
        var mesh = MeshRows.Demo();
        var backends = Enumerable.Range(0, 60).Select(i => $"svc{i}.demo.local").ToArray();
        for (var i = 0; i < backends.Length; i++)
        {
            mesh.Node($"backend{i}", $"backend{i}.demo.local").ServiceByNode(backends[i], $"backend{i}");
        }

        mesh.Node("wide", "10.0.0.9", backends: backends);
        host.Producer.SetMesh(mesh.Key, mesh.Graph);

        await using var proxy = AdsClient.Connect(host.Channel, MeshRows.NodeId("wide"));
        await proxy.SendAsync(TypeUrls.Cluster);
        var clusters = await proxy.NextAsync().DefaultTimeout();
        Assert.True(clusters.CalculateSize() > 3 * BlockPool.DefaultBlockSize, $"the response is {clusters.CalculateSize()} bytes, not several blocks");
        Assert.True(clusters.Resources.Count > backends.Length); // each backend's, and the local app's
        await proxy.AckAsync(clusters);
        await host.ProcessedAsync(TypeUrls.Cluster, clusters.Resources[0].Unpack<Envoy.Config.Cluster.V3.Cluster>().Name, Envoy.Admin.V3.ClientResourceStatus.Acked);

        Assert.True(pools.Allocated > 0);
        Assert.True(pools.Rented + pools.Retained > 0);
        var text = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();
        Assert.True(PrometheusText.Value(text, "mesh_xds_kestrel_blocks_allocated") > 0, text);
        Assert.NotNull(PrometheusText.Value(text, "mesh_xds_kestrel_blocks_rented"));
        Assert.NotNull(PrometheusText.Value(text, "mesh_xds_kestrel_blocks_retained"));
        Assert.Equal((double?)0, PrometheusText.Value(text, "mesh_xds_kestrel_blocks_returned_twice"));
        Assert.True(PrometheusText.Value(text, "mesh_xds_kestrel_block_bytes") >= BlockPool.DefaultBlockSize);
    }

    [Fact]
    public void A_Pool_Of_Larger_Blocks_Hands_Out_And_Counts_Whole_Blocks_Of_That_Size()
    {
        using var pools = new KestrelBlockPools(new HeapBlocks(), blockSize: 16384);
        using var pool = pools.Create();

        Assert.Equal(16384, pool.MaxBufferSize);
        using var block = pool.Rent(BlockPool.DefaultBlockSize); // what Kestrel's pipes ask for
        Assert.Equal(16384, block.Memory.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(16385));
        Assert.Equal(16384, pools.Bytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockPool(new HeapBlocks(), 2048));
    }

    [Theory]
    [InlineData(null, 300)]
    [InlineData("0", 0)]
    [InlineData("45", 50)]
    public async Task The_Heap_Pool_Keeps_Its_Peak_For_The_Setting_Five_Minutes_Unless_Set_And_Metrics_Show_It(string? seconds, int keptFor)
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Xds:KestrelBuffers"] = "Heap",
            ["Xds:KestrelBlocksKeptSeconds"] = seconds,
        });

        Assert.Equal(TimeSpan.FromSeconds(keptFor), host.Services.GetRequiredService<KestrelBlockPools>().PeakKeptFor);
        Assert.NotNull(PrometheusText.Value(await host.Admin.GetStringAsync("/metrics").DefaultTimeout(), "mesh_xds_kestrel_blocks_peak_kept"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("5m")]
    public async Task A_Kept_Time_That_Is_Not_Seconds_Stops_The_Start_With_The_Setting_Named(string seconds)
    {
        var refused = await Assert.ThrowsAsync<XdsConfigurationException>(() =>
            XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:KestrelBuffers"] = "Heap", ["Xds:KestrelBlocksKeptSeconds"] = seconds }));

        Assert.Contains($"Xds:KestrelBlocksKeptSeconds '{seconds}'", refused.Message);
    }

    [Theory]
    [InlineData("Heap", "4095", "from 4096 to 65536")]
    [InlineData("Heap", "65537", "from 4096 to 65536")]
    [InlineData("Heap", "16k", "from 4096 to 65536")]
    [InlineData(null, "4095", "from 4096 to 65536")]
    [InlineData("Pinned", "16384", "needs Xds:KestrelBuffers=Heap")]
    public async Task A_Block_Size_That_Cannot_Be_Used_Stops_The_Start_With_The_Setting_Named(string? kind, string size, string why)
    {
        var refused = await Assert.ThrowsAsync<XdsConfigurationException>(() =>
            XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:KestrelBuffers"] = kind, ["Xds:KestrelBlockSize"] = size }));

        Assert.Contains("Xds:KestrelBlockSize", refused.Message);
        Assert.Contains(why, refused.Message);
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(16384)]
    public async Task A_Request_Of_Several_Blocks_Is_Read_And_Answered_With_Blocks_Of_Either_Size(int blockSize)
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Xds:KestrelBuffers"] = "Heap",
            ["Xds:KestrelBlockSize"] = blockSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var pools = host.Services.GetRequiredService<KestrelBlockPools>();
        Assert.Equal(blockSize, pools.BlockSize);
        var mesh = MeshRows.Demo();
        mesh.Node("web", "10.0.0.9");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);

        // A node of ~40 KB (metadata standing in for a stock Envoy's extensions): the request spans several blocks.
        await using var proxy = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        proxy.Metadata = new Google.Protobuf.WellKnownTypes.Struct();
        proxy.Metadata.Fields["padding"] = Google.Protobuf.WellKnownTypes.Value.ForString(new string('x', 40_000));
        await proxy.SendAsync(TypeUrls.Cluster);
        var clusters = await proxy.NextAsync().DefaultTimeout();
        Assert.NotEmpty(clusters.Resources);

        Assert.True(pools.Allocated > 0);
        var bytes = PrometheusText.Value(await host.Admin.GetStringAsync("/metrics").DefaultTimeout(), "mesh_xds_kestrel_block_bytes");
        Assert.True(bytes > 0);
        Assert.Equal(0, (long)bytes!.Value % blockSize); // whole blocks of the configured size
    }

    /// <summary>Hands the factory's timer callback to the test, to run one release interval at a time.</summary>
    private sealed class CapturedTimer : TimeProvider
    {
        private TimerCallback? _callback;
        private object? _state;

        public TimeSpan Period { get; private set; }

        public void Tick() => _callback!(_state);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            (_callback, _state, Period) = (callback, state, period);
            return new Stopped();
        }

        private sealed class Stopped : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
