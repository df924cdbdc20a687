using Mesh.Persistence;

namespace Mesh.Persistence.Tests;

/// <summary>
/// <see cref="ChangeLogPages"/>: what each statement of one read of the change log asks for (the rule the xDS feed and
/// the API's read barrier share), and whether a hole from an earlier read is still missing at its end.
/// </summary>
public sealed class ChangeLogPagesTests
{
    [Fact]
    public void TheFirstPage_AsksForTheNumbersAboveTheTop_AndEveryHoleInOrder()
    {
        var pages = Pages(top: 10, holes: [7, 3, 5], pageSize: 1000);

        Assert.Equal(10, pages.After);
        Assert.Equal(new long[] { 3, 5, 7 }, pages.Holes);
        Assert.False(pages.NextPage()); // nothing returned: the last page
    }

    [Fact]
    public void AFullPageOfFilledHoles_IsFollowedByOneThatStillAsksForTheHolesAboveIt()
    {
        var pages = Pages(top: 10, holes: [1, 2, 3, 4, 5], pageSize: 3);
        Returned(pages, 1, 2, 3);

        Assert.True(pages.NextPage());
        Assert.Equal(10, pages.After); // still the top: nothing above it was read
        Assert.Equal(new long[] { 4, 5 }, pages.Holes);

        Returned(pages, 4, 5, 11);
        Assert.True(pages.NextPage());
        Assert.Equal(11, pages.After);
        Assert.Empty(pages.Holes);

        Assert.False(pages.NextPage());
        Assert.False(pages.EarlierHolesMissing);
    }

    [Fact]
    public void AHoleAPageDidNotReturn_IsNotAskedForAgainInTheSameRead_AndIsStillMissing()
    {
        var pages = Pages(top: 10, holes: [2, 4], pageSize: 2);
        Returned(pages, 4, 11); // 2 was not committed in the page's snapshot

        Assert.True(pages.NextPage());
        Assert.Equal(11, pages.After);
        Assert.Empty(pages.Holes);
        Assert.False(pages.NextPage());
        Assert.True(pages.EarlierHolesMissing);
    }

    [Fact]
    public void HolesFirstSeenInThisRead_AreNotEarlierHoles()
    {
        var pages = Pages(top: 10, holes: [], pageSize: 1000);
        Returned(pages, 12, 15); // 11, 13 and 14 are new holes

        Assert.False(pages.NextPage());
        Assert.False(pages.EarlierHolesMissing);
    }

    private static void Returned(ChangeLogPages pages, params long[] seqs)
    {
        foreach (var seq in seqs)
        {
            pages.Returned(seq);
        }
    }

    private static ChangeLogPages Pages(long top, long[] holes, int pageSize)
    {
        var position = new ChangeLogPosition(TimeSpan.FromSeconds(30), TimeProvider.System);
        position.Start(holes.Length == 0 ? top : holes.Min() - 1);
        for (var seq = position.Top + 1; seq <= top; seq++)
        {
            if (!holes.Contains(seq))
            {
                position.Read(seq);
            }
        }

        Assert.Equal(top, position.Top);
        Assert.Equal(holes.Order(), position.Holes.Order());
        return new ChangeLogPages(position, pageSize);
    }
}
