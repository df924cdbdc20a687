using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

/// <summary>Where the server's memory is (<see cref="MemorySplit"/>), read from a scrape, and the idle watch's options.</summary>
public sealed class MemorySplitTests
{
    private const string Scrape = """
        # HELP dotnet_gc_last_collection_heap_size_bytes The managed GC heap size.
        # TYPE dotnet_gc_last_collection_heap_size_bytes gauge
        dotnet_gc_last_collection_heap_size_bytes{gc_heap_generation="gen0",otel_scope_name="System.Runtime"} 1024
        dotnet_gc_last_collection_heap_size_bytes{gc_heap_generation="gen2",otel_scope_name="System.Runtime"} 4096000
        dotnet_gc_last_collection_heap_size_bytes{gc_heap_generation="poh",otel_scope_name="System.Runtime"} 2048000
        dotnet_gc_last_collection_memory_committed_size_bytes{otel_scope_name="System.Runtime"} 8192000
        aspnetcore_memory_pool_pooled_bytes{aspnetcore_memory_pool_owner="kestrel"} 409600
        aspnetcore_memory_pool_pooled_bytes{aspnetcore_memory_pool_owner="other"} 4096
        mesh_xds_streams 12
        """;

    [Fact]
    public void A_Scrape_Is_Read_As_Series_With_Their_Labels_And_Summed_By_Label()
    {
        var series = XdsAdmin.Series(Scrape).ToList();

        Assert.Equal(7, series.Count);
        Assert.Contains(("mesh_xds_streams", "", 12.0), series);
        Assert.Equal(409600 + 4096, XdsAdmin.Sum(Scrape, "aspnetcore_memory_pool_pooled_bytes", ""));
        Assert.Equal(409600, XdsAdmin.Sum(Scrape, "aspnetcore_memory_pool_pooled_bytes", "kestrel"));
        Assert.Equal(0, XdsAdmin.Sum(Scrape, "mesh_xds_kestrel_block_bytes", ""));
    }

    [Fact]
    public void Per_Proxy_Is_Above_The_Idle_Server_By_Owner_And_Generation()
    {
        var idle = new MemorySplit(100 << 20, 90 << 20, 10 << 20, 60 << 20, new Dictionary<string, double> { ["gen2"] = 20 << 20, ["poh"] = 1 << 20 }, 0, 0, 0);
        var busy = new MemorySplit(300 << 20, 285 << 20, 15 << 20, 250 << 20, new Dictionary<string, double> { ["gen2"] = 120 << 20, ["poh"] = 21 << 20 }, 10 << 20, 20 << 20, 0);

        var line = busy.PerProxy(idle, 1024);

        Assert.Equal(
            "RSS 200.0 (anon 195.0, file 5.0); GC committed 190.0, heap 120.0 (gen2 100.0 poh 20.0), free in it 10.0; "
            + "anon not GC-committed 5.0; Kestrel pooled 20.0, server pool 0.0 KiB per proxy",
            line);
    }

    [Fact]
    public void The_Idle_Watch_And_The_Gap_Between_Changes_Are_Off_Unless_Given()
    {
        var defaults = FleetOptions.Parse([]);
        Assert.Equal((TimeSpan.Zero, TimeSpan.Zero), (defaults.IdleWatch, defaults.ChangeGap));

        var set = FleetOptions.Parse(["--idle-watch", "45", "--change-gap", "20"]);
        Assert.Equal((TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(20)), (set.IdleWatch, set.ChangeGap));
    }
}
