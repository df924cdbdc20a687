using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

/// <summary>
/// The report's new pool blocks by change (issue13bm): each change's count, and whether the steady changes (the 2nd
/// on) still carried the server pool's warm-up, so a "steady" figure that includes new blocks is read as such.
/// </summary>
public sealed class PoolWarmUpTests
{
    [Fact]
    public void A_Pool_That_Stops_Growing_Names_The_First_Change_Without_New_Blocks()
    {
        // 10,000 proxies: fewer than 100 new blocks in a change is the stray few of a warm pool.
        var text = PoolWarmUp.Describe(Changes(3000, 1500, 0, 99, 2, 0), 10_000);

        Assert.Equal("#1 3000, #2 1500, #3 0, #4 99, #5 2, #6 0 (warm from #3, under one new block per 100 proxies since: the steady changes before it carry the pool's warm-up)", text);
    }

    [Fact]
    public void A_Pool_Still_Growing_In_The_Last_Change_Says_The_Steady_Figures_Carry_Its_Warm_Up()
    {
        var text = PoolWarmUp.Describe(Changes(2000, 0, 900), 10_000);

        Assert.Equal("#1 2000, #2 0, #3 900 (still growing in the last change: the steady figures carry the pool's warm-up)", text);
    }

    [Fact]
    public void A_Pool_Warm_After_The_First_Change_Says_The_Steady_Figures_Are_Warm()
    {
        Assert.Equal("#1 2000, #2 19, #3 0 (warm after the first, under one new block per 100 proxies since: the steady figures are warm)", PoolWarmUp.Describe(Changes(2000, 19, 0), 2_000));
        // The same 19 blocks at 1,000 proxies are more than one per hundred: still growing.
        Assert.EndsWith("(still growing in the last change: the steady figures carry the pool's warm-up)", PoolWarmUp.Describe(Changes(2000, 0, 19), 1_000));
    }

    [Fact]
    public void One_Change_Has_Only_Its_Count_And_Kestrels_Own_Pool_Has_None()
    {
        Assert.Equal("#1 2000", PoolWarmUp.Describe(Changes(2000), 10_000));
        Assert.Null(PoolWarmUp.Describe(Changes(2000, double.NaN), 10_000));
        Assert.Null(PoolWarmUp.Describe([], 10_000));
    }

    [Fact]
    public void The_Table_Has_A_Row_Of_The_Pools_New_Blocks_By_Change()
    {
        var mesh = new MeshFigures("sotw-every", TimeSpan.FromSeconds(16), TimeSpan.FromSeconds(14), 66 * 1024, 42 * 1024,
            2600, 4800, TimeSpan.FromSeconds(2.7), 48389, 26001, 0, 900L << 20);
        var raw = new RawFigures(TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(7), 48 * 1024, 38 * 1024, 800, 2000, TimeSpan.FromSeconds(1));

        var rows = TableOf(raw, mesh with { PoolBlocksByChange = PoolWarmUp.Describe(Changes(3000, 1200, 0), 10_000) }, mesh with { Variant = "delta-every" });

        Assert.Contains("| server pool's new blocks, by change | #1 3000, #2 1200, #3 0 (warm from #3, under one new block per 100 proxies since: the steady changes before it carry the pool's warm-up) | Kestrel's own pool |  |", rows);
    }

    private static List<ChangeFigures> Changes(params double[] blocks) =>
        [.. blocks.Select(b => new ChangeFigures([100.0], TimeSpan.FromMilliseconds(500)) { BlocksMade = b })];

    private static string[] TableOf(RawFigures raw, params MeshFigures[] figures)
    {
        var output = new StringWriter();
        new Report { Output = output, ProxyCount = 10_000 }.Table(raw, [.. figures], new Dictionary<string, RawFigures>());
        return output.ToString().Split(Environment.NewLine);
    }
}
