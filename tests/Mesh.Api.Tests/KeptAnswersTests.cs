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

    [Fact]
    public void AChange_DropsThePagesOfItsOwnList_AndAMeshChangeTheListOfMeshes()
    {
        var kept = new KeptAnswers(1000);
        var nodes = new ListRequest(ResourceKind.VirtualNode, "m", "", 100, null);
        var routes = new ListRequest(ResourceKind.Route, "m", "r", 100, null);
        var meshes = new ListRequest(ResourceKind.Mesh, "", "", 100, null);
        KeepPages(kept, nodes, routes, meshes);

        kept.Drop(Account, "m", "route", "r", "n"); // a route of router r
        Assert.True(kept.TryGetPage(Account, nodes, null, out _));
        Assert.True(kept.TryGetPage(Account, nodes, "a", out _));
        Assert.False(kept.TryGetPage(Account, routes, null, out _));
        Assert.True(kept.TryGetPage(Account, meshes, null, out _));

        kept.Drop(Account, "m", "virtualNode", "", "n"); // every page of the list, wherever it starts
        Assert.False(kept.TryGetPage(Account, nodes, null, out _));
        Assert.False(kept.TryGetPage(Account, nodes, "a", out _));
        Assert.True(kept.TryGetPage(Account, meshes, null, out _));

        kept.Drop(Account, "other", "mesh", "", "other"); // a mesh: the list of meshes, by account
        Assert.False(kept.TryGetPage(Account, meshes, null, out _));

        KeepPages(kept, nodes, routes, meshes);
        kept.DropAll();
        Assert.Equal(0, kept.PageCount);
    }

    [Fact]
    public void APageReadBeforeAChangeWasApplied_IsNotKept()
    {
        var kept = new KeptAnswers(1000);
        var nodes = new ListRequest(ResourceKind.VirtualNode, "m", "", 100, null);
        var epoch = kept.Epoch;

        kept.Drop(Account, "m", "virtualNode", "", "n");
        kept.KeepPage(Account, nodes, null, new KeptPage([1], 1, null), epoch);

        Assert.False(kept.TryGetPage(Account, nodes, null, out _));
    }

    [Fact]
    public void PastItsCapacityInItems_ThePagesStartOver()
    {
        var kept = new KeptAnswers(10);
        for (var i = 0; i < 5; i++)
        {
            kept.KeepPage(Account, new ListRequest(ResourceKind.VirtualNode, $"m{i}", "", 100, null), null, new KeptPage([1], 4, null), kept.Epoch);
            Assert.InRange(kept.PageCount, 1, 2);
        }
    }

    private static void KeepPages(KeptAnswers kept, ListRequest nodes, ListRequest routes, ListRequest meshes)
    {
        kept.KeepPage(Account, nodes, null, new KeptPage([1], 1, "token"), kept.Epoch);
        kept.KeepPage(Account, nodes, "a", new KeptPage([2], 1, null), kept.Epoch);
        kept.KeepPage(Account, routes, null, new KeptPage([3], 1, null), kept.Epoch);
        kept.KeepPage(Account, meshes, null, new KeptPage([4], 1, null), kept.Epoch);
    }
}
