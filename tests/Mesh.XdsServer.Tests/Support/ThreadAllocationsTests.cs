namespace Mesh.XdsServer.Tests.Support;

/// <summary>The zero-allocation tests' measure must show storage that grows as work runs, and set aside a stray round.</summary>
public sealed class ThreadAllocationsTests
{
    [Fact]
    public void A_List_That_Grows_With_Each_Call_Shows_Although_Most_Calls_Allocate_Nothing()
    {
        var seen = new List<int>();
        void Count(int calls)
        {
            for (var call = 0; call < calls; call++)
            {
                seen.Add(call);
            }
        }

        Count(100); // warmed as the zero-allocation tests warm their work

        var allocated = ThreadAllocations.InMostRounds(() => Count(1_000));

        // The list doubles at 128, 256, … 8,192 entries: in four of the ten rounds; the least of them was 0.
        Assert.True(allocated > 0, $"{allocated} bytes for a list grown to {seen.Capacity} entries");
    }

    [Fact]
    public void Work_That_Allocates_In_One_Round_Only_Counts_As_Allocating_Nothing()
    {
        var round = 0;
        object? stray = null;

        var allocated = ThreadAllocations.InMostRounds(() =>
        {
            if (++round == 3)
            {
                stray = new byte[1_000];
            }
        });

        Assert.Equal(0, allocated);
        Assert.NotNull(stray);
    }
}
