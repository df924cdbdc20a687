using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Mesh.Translation.Tests.Support;
using static Mesh.Translation.Tests.Support.JoinedTranslations;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// <see cref="ResourceConsistency.Check"/> of a translation joined from a node's own resources and its routing's
/// shared part reads the shared part once (<see cref="ConsistencyPart.Of"/>) and then only the node's own resources
/// against it. Its answer must be exactly the check's of the same lists read as one part: no problem where that finds
/// none, and otherwise the same problems in the same order, whichever part has them.
/// </summary>
public sealed class JoinedConsistencyTests
{
    [Fact]
    public void Over_Random_Meshes_And_Changes_And_Broken_Own_Parts_The_Problems_Are_The_Whole_Checks()
    {
        var joined = 0;
        var consistent = 0;
        var inconsistent = 0;
        foreach (var (why, resources, random) in JoinedTranslations.OverRandomMeshes(seeds: 400, steps: 4))
        {
            Assert.Equal(ResourceConsistency.Check(JoinedTranslations.Whole(resources)), ResourceConsistency.Check(resources));
            if (ProxyResourceParts.Of(resources) is not { } parts)
            {
                continue;
            }

            joined++;
            foreach (var (variant, whole) in JoinedTranslations.Variants(parts, random))
            {
                var expected = SameAsReadWhole($"{why}, {variant}", parts, whole);
                _ = expected.Count == 0 ? consistent++ : inconsistent++;
            }
        }

        // Each must be common, or the property says little.
        Assert.True(joined > 800, $"only {joined} joined translations");
        Assert.True(consistent > 3000, $"only {consistent} consistent variants ({inconsistent} not)");
        Assert.True(inconsistent > 7000, $"only {inconsistent} inconsistent variants ({consistent} consistent)");
    }

    [Fact]
    public void Over_Random_Meshes_With_Problems_In_The_Shared_Part_The_Problems_Are_The_Whole_Checks()
    {
        var broken = 0;
        var mended = 0;
        var consistent = 0;
        var inconsistent = 0;
        foreach (var (why, resources, random) in JoinedTranslations.OverRandomMeshes(seeds: 170, steps: 4))
        {
            if (ProxyResourceParts.Of(resources) is not { } parts)
            {
                continue;
            }

            foreach (var (sharedWhy, isMended, brokenParts) in JoinedTranslations.BrokenShared(parts, random))
            {
                // The node's own part as it is (the shared part's problem alone, or mended by the node), then broken or
                // clashing in each of the ways of the test above (both parts with problems).
                foreach (var (variant, whole) in JoinedTranslations.Variants(brokenParts, random))
                {
                    var expected = SameAsReadWhole($"{why}, {sharedWhy}, {variant}", brokenParts, whole);
                    _ = expected.Count == 0 ? consistent++ : inconsistent++;
                    if (variant == "as translated")
                    {
                        _ = isMended && expected.Count == 0 ? mended++ : expected.Count > 0 ? broken++ : 0;
                    }
                }
            }
        }

        Assert.True(broken > 1800, $"only {broken} shared parts with a problem alone");
        Assert.True(mended > 1200, $"only {mended} shared parts mended by the node's resources");
        Assert.True(consistent > 5000, $"only {consistent} consistent variants ({inconsistent} not)");
        Assert.True(inconsistent > 40000, $"only {inconsistent} inconsistent variants ({consistent} consistent)");
    }

    /// <summary>
    /// Asserts that the check of <paramref name="joined"/> (made from <paramref name="parts"/>' shared part) gives the
    /// problems of the same lists read as one part, in the same order, and returns them.
    /// </summary>
    private static IReadOnlyList<string> SameAsReadWhole(string where, ProxyResourceParts parts, ProxyResources joined)
    {
        Assert.Same(parts.Shared, ProxyResourceParts.Of(joined)?.Shared);
        var expected = ResourceConsistency.Check(JoinedTranslations.Whole(joined));
        var actual = ResourceConsistency.Check(joined);
        Assert.True(expected.SequenceEqual(actual, StringComparer.Ordinal), $"{where}: expected [{string.Join("; ", expected)}], got [{string.Join("; ", actual)}]");
        return expected;
    }

    // A hand-made routing: an on-demand listener (a proxyless name) and its route configuration, which uses an
    // on-demand cluster; an egress route configuration and its cluster, which the node's egress listener names.
    private static ProxyResources Shared() => ProxyResources.Empty with
    {
        OnDemandListeners = [Http("svc", "rds_svc")],
        RouteConfigurations = [Routes("rds_egress", "cds_egress"), Routes("rds_svc", "cds_od")],
        Clusters = [Eds("cds_egress")],
        OnDemandClusters = [Eds("cds_od")],
        ClusterLoadAssignments = [Assignment("cds_egress"), Assignment("cds_od")],
    };

    private static ProxyResources Own() => ProxyResources.Empty with
    {
        Listeners = [Http("lds_egress", "rds_egress"), Http("lds_ingress", "rds_ingress")],
        RouteConfigurations = [Routes("rds_ingress", "cds_ingress")],
        Clusters = [new Cluster { Name = "cds_ingress" }],
    };

    public static TheoryData<string, string[]> Cases { get; } = new()
    {
        { "consistent", [] },
        { "shared: a nameless cluster", ["a cluster has no name"] },
        { "shared: a route configuration twice", ["route config rds_svc appears more than once"] },
        { "shared: a cluster nobody has", ["route config rds_svc, route r: cluster cds_gone is missing"] },
        { "shared: a cluster nobody has; own: that cluster", [] },
        { "shared: an assignment missing", ["cluster cds_egress: EDS assignment cds_egress is missing"] },
        { "shared: an assignment missing; own: that assignment", [] },
        { "shared: an orphan assignment", ["EDS assignment eds_orphan belongs to no EDS cluster"] },
        { "shared: an orphan assignment; own: its EDS cluster", [] },
        { "own: the egress listener left out", ["route config rds_egress is named by no listener"] },
        { "own: a listener naming the on-demand route configuration", ["route config rds_svc, route r: cluster cds_od is missing"] },
        { "own: a cluster named like a shared one", ["cluster cds_egress appears more than once"] },
        {
            "shared: an assignment missing; own: EDS clusters without theirs, before and after it",
            [
                "cluster cds_a: EDS assignment cds_a is missing",
                "cluster cds_egress: EDS assignment cds_egress is missing",
                "cluster cds_z: EDS assignment cds_z is missing",
            ]
        },
        {
            "shared: a nameless cluster and a route configuration twice; own: the same of its own",
            [
                "route config rds_svc appears more than once",
                "route config rds_svc appears more than once",
                "a cluster has no name",
                "a cluster has no name",
                "cluster cds_egress appears more than once",
            ]
        },
        {
            "shared and own: the same orphan assignment, and one each",
            [
                "EDS assignment eds_orphan appears more than once",
                "EDS assignment eds_a belongs to no EDS cluster",
                "EDS assignment eds_orphan belongs to no EDS cluster",
                "EDS assignment eds_z belongs to no EDS cluster",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Problems_Of_Either_Part_Or_Both_Are_Reported_In_The_Whole_Checks_Order(string @case, string[] problems)
    {
        var shared = Shared();
        var own = Own();
        Cluster[] edsOwn = [Eds("cds_a"), new Cluster { Name = "cds_ingress" }, Eds("cds_z")];
        (own, shared) = @case switch
        {
            "consistent" => (own, shared),
            "shared: a nameless cluster" => (own, shared with { Clusters = [new Cluster(), .. shared.Clusters] }),
            "shared: a route configuration twice" => (own, shared with { RouteConfigurations = [.. shared.RouteConfigurations, shared.RouteConfigurations[1]] }),
            "shared: a cluster nobody has" => (own, shared with { RouteConfigurations = [shared.RouteConfigurations[0], Routes("rds_svc", "cds_gone")] }),
            "shared: a cluster nobody has; own: that cluster" => (
                own with { Clusters = [new Cluster { Name = "cds_gone" }, .. own.Clusters] },
                shared with { RouteConfigurations = [shared.RouteConfigurations[0], Routes("rds_svc", "cds_gone")] }),
            "shared: an assignment missing" => (own, shared with { ClusterLoadAssignments = [Assignment("cds_od")] }),
            "shared: an assignment missing; own: that assignment" => (own with { ClusterLoadAssignments = [Assignment("cds_egress")] }, shared with { ClusterLoadAssignments = [Assignment("cds_od")] }),
            "shared: an orphan assignment" => (own, shared with { ClusterLoadAssignments = [.. shared.ClusterLoadAssignments, Assignment("eds_orphan")] }),
            "shared: an orphan assignment; own: its EDS cluster" => (
                own with { Clusters = [.. own.Clusters, Eds("cds_own", "eds_orphan")] },
                shared with { ClusterLoadAssignments = [.. shared.ClusterLoadAssignments, Assignment("eds_orphan")] }),
            "own: the egress listener left out" => (own with { Listeners = [own.Listeners[1]] }, shared),
            "own: a listener naming the on-demand route configuration" => (own with { Listeners = [.. own.Listeners, Http("lds_other", "rds_svc")] }, shared),
            "own: a cluster named like a shared one" => (own with { Clusters = [new Cluster { Name = "cds_egress" }, .. own.Clusters] }, shared),
            "shared: an assignment missing; own: EDS clusters without theirs, before and after it" => (
                own with { Clusters = edsOwn },
                shared with { ClusterLoadAssignments = [Assignment("cds_od")] }),
            "shared: a nameless cluster and a route configuration twice; own: the same of its own" => (
                own with
                {
                    RouteConfigurations = [.. own.RouteConfigurations, Routes("rds_svc", "cds_od")],
                    Clusters = [new Cluster(), new Cluster { Name = "cds_egress" }, .. own.Clusters],
                },
                shared with
                {
                    RouteConfigurations = [.. shared.RouteConfigurations, shared.RouteConfigurations[1]],
                    Clusters = [new Cluster(), .. shared.Clusters],
                }),
            "shared and own: the same orphan assignment, and one each" => (
                own with { ClusterLoadAssignments = [Assignment("eds_orphan"), Assignment("eds_z")] },
                shared with { ClusterLoadAssignments = [Assignment("eds_a"), .. shared.ClusterLoadAssignments, Assignment("eds_orphan")] }),
            _ => throw new ArgumentOutOfRangeException(nameof(@case)),
        };

        var joined = ProxyResourceParts.Join(own, shared, [], []);

        Assert.NotNull(ProxyResourceParts.Of(joined));
        Assert.Equal(problems, ResourceConsistency.Check(JoinedTranslations.Whole(joined)));
        Assert.Equal(problems, ResourceConsistency.Check(joined));
    }

    [Fact]
    public void A_Copy_With_A_List_Replaced_Is_Checked_Whole()
    {
        var (_, resources, _) = JoinedTranslations.OverRandomMeshes(seeds: 50, steps: 1).First(t => ProxyResourceParts.Of(t.Resources) is not null && t.Resources.RouteConfigurations.Count > 0);

        var broken = resources with { Listeners = [] };

        Assert.Null(ProxyResourceParts.Of(broken));
        Assert.NotEmpty(ResourceConsistency.Check(broken));
        Assert.Equal(ResourceConsistency.Check(JoinedTranslations.Whole(broken)), ResourceConsistency.Check(broken));
    }

    private static ClusterLoadAssignment Assignment(string name) => new() { ClusterName = name };
}
