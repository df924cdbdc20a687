using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

/// <summary>The storm's report counts the proxies by how often each was refused.</summary>
public class RefusalCountsTests
{
    [Fact]
    public void Proxies_Are_Counted_By_Their_Refusals_Fewest_First()
    {
        Assert.Equal("0×: 1, 2×: 3, 5×: 1", RefusalCounts.Describe([2, 5, 0, 2, 2]));
    }
}
