using Mesh.Translation.Tests.Support;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// <see cref="ResourceConsistency.Check"/> of a translation joined from a node's own resources and its routing's
/// shared part reads the shared part once (<see cref="SharedPartCheck"/>) and then only the node's own resources. Its
/// answer must be exactly the whole check's of the same lists: no problem where that finds none, and otherwise the
/// same problems in the same order.
/// </summary>
public sealed class JoinedConsistencyTests
{
    [Fact]
    public void Over_Random_Meshes_And_Changes_And_Broken_Own_Parts_The_Problems_Are_The_Whole_Checks()
    {
        var joined = 0;
        var consistent = 0;
        var inconsistent = 0;
        foreach (var (why, resources, random) in JoinedTranslations.OverRandomMeshes(seeds: 200, steps: 4))
        {
            Assert.Equal(ResourceConsistency.Check(JoinedTranslations.Whole(resources)), ResourceConsistency.Check(resources));
            if (ProxyResourceParts.Of(resources) is not { } parts)
            {
                continue;
            }

            joined++;
            foreach (var (variant, whole) in JoinedTranslations.Variants(parts, random))
            {
                Assert.Same(parts.Shared, ProxyResourceParts.Of(whole)?.Shared);
                var expected = ResourceConsistency.Check(JoinedTranslations.Whole(whole));
                var actual = ResourceConsistency.Check(whole);
                Assert.True(expected.SequenceEqual(actual, StringComparer.Ordinal), $"{why}, {variant}: expected [{string.Join("; ", expected)}], got [{string.Join("; ", actual)}]");
                _ = expected.Count == 0 ? consistent++ : inconsistent++;
            }
        }

        // Each must be common, or the property says little.
        Assert.True(joined > 800, $"only {joined} joined translations");
        Assert.True(consistent > 3000, $"only {consistent} consistent variants ({inconsistent} not)");
        Assert.True(inconsistent > 7000, $"only {inconsistent} inconsistent variants ({consistent} consistent)");
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
}
