using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

public class EnvoyBackoffTests
{
    [Fact]
    public void The_Interval_Starts_At_Half_A_Second_And_Doubles_Up_To_Thirty_Seconds()
    {
        var backoff = new EnvoyBackoff(new Highest());

        var delays = Enumerable.Range(0, 9).Select(_ => (int)backoff.Next().TotalMilliseconds).ToArray();

        // Each delay is drawn from [0, interval): the highest draw is one below the interval.
        Assert.Equal([499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999], delays);
    }

    [Fact]
    public void A_Response_Starts_The_Next_Backoff_From_The_Base_Interval()
    {
        var backoff = new EnvoyBackoff(new Highest());
        backoff.Next();
        backoff.Next();
        backoff.Next();
        Assert.Equal(4_000, backoff.Interval);

        backoff.Reset();

        Assert.Equal(EnvoyBackoff.BaseIntervalMilliseconds, backoff.Interval);
        Assert.Equal(499, backoff.Next().TotalMilliseconds);
    }

    [Fact]
    public void Delays_Are_Spread_Over_The_Whole_Interval_Not_Fixed()
    {
        // Fully jittered: proxies that failed together do not come back together. Over many draws of the first
        // interval, both halves of [0, 500) ms are used.
        var random = new Random(7);
        var firsts = Enumerable.Range(0, 200).Select(_ => new EnvoyBackoff(random).Next().TotalMilliseconds).ToArray();

        Assert.All(firsts, d => Assert.InRange(d, 0, 499));
        Assert.Contains(firsts, d => d < 250);
        Assert.Contains(firsts, d => d >= 250);
    }

    /// <summary>Always draws the highest value below the bound.</summary>
    private sealed class Highest : Random
    {
        public override int Next(int maxValue) => maxValue - 1;
    }
}
