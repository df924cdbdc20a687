namespace Mesh.Fleet.Tests;

/// <summary>The fleet reports the first route change after a server start apart from the later (steady-state) ones.</summary>
public class ChangeSplitTests
{
    [Fact]
    public void The_First_Change_Stands_Alone_And_The_Later_Ones_Are_Pooled()
    {
        var first = new ChangeFigures([.. Enumerable.Range(1, 100).Select(i => i * 10.0)], TimeSpan.FromMilliseconds(900));
        var second = new ChangeFigures([.. Enumerable.Range(1, 100).Select(i => (double)i)], TimeSpan.FromMilliseconds(200));
        var third = new ChangeFigures([.. Enumerable.Range(1, 100).Select(i => i * 2.0)], TimeSpan.FromMilliseconds(400));

        var split = ChangeSplit.Of([first, second, third]);

        Assert.Equal(990, split.FirstP99);
        Assert.Equal(900, split.FirstCpu);
        Assert.Equal(196, split.SteadyP99); // the 198th of the 200 latencies of changes 2 and 3, sorted
        Assert.Equal(300, split.SteadyCpu); // their average
    }

    [Fact]
    public void One_Change_Has_No_Steady_State()
    {
        var split = ChangeSplit.Of([new ChangeFigures([5.0], TimeSpan.FromMilliseconds(7))]);

        Assert.Equal(5, split.FirstP99);
        Assert.True(double.IsNaN(split.SteadyP99));
        Assert.True(double.IsNaN(split.SteadyCpu));
    }
}
