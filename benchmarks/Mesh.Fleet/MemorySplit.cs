using System.Globalization;

namespace Mesh.Fleet;

/// <summary>
/// Where a server's resident memory is, at one moment: Linux's split of it (anonymous against file-backed pages, from
/// /proc/&lt;pid&gt;/smaps_rollup) beside what the runtime says of its heap as of its last collection (committed,
/// per generation, the free space between objects) and what Kestrel's pool holds. Issue 13 asks for RSS per idle
/// proxy; this says whether RSS above the connect's is the GC's committed memory, live objects, pool blocks or
/// native memory, so a cut can aim at the right owner.
/// </summary>
internal sealed record MemorySplit(
    long Rss,
    long Anonymous,
    long FileBacked,
    double Committed,
    IReadOnlyDictionary<string, double> HeapByGeneration,
    double Fragmentation,
    double KestrelPooled,
    double ServerPoolBlocks)
{
    public double Heap => HeapByGeneration.Values.Sum();

    /// <summary>Anonymous memory that is not the GC's committed heap: the runtime's own, the JIT's, native libraries', stacks.</summary>
    public double NativeAnonymous => Anonymous - Committed;

    public static async Task<MemorySplit> ReadAsync(ServerProcess server, XdsAdmin admin)
    {
        long rss = 0, anonymous = 0;
        foreach (var line in File.ReadLines($"/proc/{server.Pid}/smaps_rollup"))
        {
            if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("Anonymous:", StringComparison.Ordinal))
            {
                anonymous = Kilobytes(line) * 1024;
            }
        }

        var text = await admin.ScrapeAsync();
        var byGeneration = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var fragmentation = 0.0;
        foreach (var (name, labels, value) in XdsAdmin.Series(text))
        {
            switch (name)
            {
                case "dotnet_gc_last_collection_heap_size_bytes":
                    byGeneration[Generation(labels)] = byGeneration.GetValueOrDefault(Generation(labels)) + value;
                    break;
                case "dotnet_gc_last_collection_heap_fragmentation_size_bytes":
                    fragmentation += value;
                    break;
            }
        }

        return new MemorySplit(
            rss,
            anonymous,
            rss - anonymous,
            XdsAdmin.Sum(text, "dotnet_gc_last_collection_memory_committed_size_bytes", ""),
            byGeneration,
            fragmentation,
            XdsAdmin.Sum(text, "aspnetcore_memory_pool_pooled_bytes", ""),
            XdsAdmin.Sum(text, "mesh_xds_kestrel_block_bytes", ""));
    }

    /// <summary>One line, per proxy above <paramref name="idle"/> (the server's split before any proxy connected).</summary>
    public string PerProxy(MemorySplit idle, int proxies)
    {
        string Kib(double bytes) => (bytes / 1024.0 / proxies).ToString("F1", CultureInfo.InvariantCulture);
        var generations = string.Join(" ", HeapByGeneration.Select(g => $"{g.Key} {Kib(g.Value - idle.HeapByGeneration.GetValueOrDefault(g.Key))}"));
        return $"RSS {Kib(Rss - idle.Rss)} (anon {Kib(Anonymous - idle.Anonymous)}, file {Kib(FileBacked - idle.FileBacked)}); "
            + $"GC committed {Kib(Committed - idle.Committed)}, heap {Kib(Heap - idle.Heap)} ({generations}), free in it {Kib(Fragmentation - idle.Fragmentation)}; "
            + $"anon not GC-committed {Kib(NativeAnonymous - idle.NativeAnonymous)}; Kestrel pooled {Kib(KestrelPooled - idle.KestrelPooled)}, server pool {Kib(ServerPoolBlocks - idle.ServerPoolBlocks)} KiB per proxy";
    }

    private static string Generation(string labels)
    {
        const string Key = "gc_heap_generation=\"";
        var at = labels.IndexOf(Key, StringComparison.Ordinal);
        return at < 0 ? "?" : labels[(at + Key.Length)..labels.IndexOf('"', at + Key.Length)];
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
