using Mesh.Api.Resources;
using Mesh.Model.Resources;

namespace Mesh.Api.Tests;

/// <summary>
/// <see cref="KeptAnswers"/>: an answer read before a change was applied is not kept, a change drops its resource's
/// answer only, and the memory is bounded.
/// </summary>
public sealed class KeptAnswersTests
{
    private const string Account = "111122223333";
    private static readonly ResourceId Node = new(ResourceKind.VirtualNode, "m", "", "n");
    private static readonly ResourceId Route = new(ResourceKind.Route, "m", "r", "n");

    [Fact]
    public void AnAnswerReadBeforeAChangeWasApplied_IsNotKept()
    {
        var kept = new KeptAnswers(100);
        var epoch = kept.Epoch;

        kept.Drop(Account, "m", "virtualNode", "", "other"); // any change applied meanwhile
        kept.Keep(Account, Node, [1], epoch);

        Assert.False(kept.TryGet(Account, Node, out _));
        kept.Keep(Account, Node, [2], kept.Epoch);
        Assert.True(kept.TryGet(Account, Node, out var answer));
        Assert.Equal(new byte[] { 2 }, answer);
    }

    [Fact]
    public void AChange_DropsItsOwnResourcesAnswerOnly()
    {
        var kept = new KeptAnswers(100);
        kept.Keep(Account, Node, [1], kept.Epoch);
        kept.Keep(Account, Route, [2], kept.Epoch);

        kept.Drop(Account, "m", "route", "r", "n");

        Assert.True(kept.TryGet(Account, Node, out _));
        Assert.False(kept.TryGet(Account, Route, out _));
        kept.DropAll();
        Assert.Equal(0, kept.Count);
    }

    [Fact]
    public void PastItsCapacity_ItStartsOver()
    {
        var kept = new KeptAnswers(2);
        for (var i = 0; i < 5; i++)
        {
            kept.Keep(Account, new ResourceId(ResourceKind.VirtualNode, "m", "", $"n{i}"), [(byte)i], kept.Epoch);
            Assert.InRange(kept.Count, 1, 2);
        }

        Assert.True(kept.TryGet(Account, new ResourceId(ResourceKind.VirtualNode, "m", "", "n4"), out _));
    }
}
