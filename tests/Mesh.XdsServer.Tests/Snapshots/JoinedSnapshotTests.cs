using Mesh.Translation;
using Mesh.Translation.Tests.Support;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>
/// A translation joined from a node's own resources and its routing's shared part (<see cref="ProxyResourceParts"/>)
/// is checked and built with the shared part read and packed once: the check against the part's names
/// (<see cref="ResourceConsistency"/>), the build by merging the node's own packed resources into the part's sets,
/// which the interner packed and sorted once (<see cref="SnapshotBuilder"/>). Every identity must still get exactly
/// what the whole check and build of the same lists gave: the problems, and every type's resources (bytes, versions,
/// on-demand flags) in the same order, its wildcard list, both versions and the snapshot's version; or the same
/// refusal of a repeated name.
/// </summary>
public sealed class JoinedSnapshotTests
{
    [Fact]
    public void Over_Random_Meshes_And_Changes_Every_Identity_Gets_What_The_Whole_Build_Gives()
    {
        // One interner for every build of each way, as the producer has: the shared parts are packed once per interner.
        var joinedInterner = new ResourceInterner();
        var wholeInterner = new ResourceInterner();
        var joined = 0;
        var built = 0;
        var refused = 0;
        var rejected = 0;
        foreach (var (why, resources, random) in JoinedTranslations.OverRandomMeshes(seeds: 340, steps: 4))
        {
            IEnumerable<(string Why, ProxyResources Joined)> variants = ProxyResourceParts.Of(resources) is { } parts ? JoinedTranslations.Variants(parts, random) : [("not joined", resources)];
            foreach (var (variant, translation) in variants)
            {
                var where = $"{why}, {variant}";
                joined += ProxyResourceParts.Of(translation) is null ? 0 : 1;
                var whole = JoinedTranslations.Whole(translation);
                var problems = ResourceConsistency.Check(translation);
                Assert.True(ResourceConsistency.Check(whole).SequenceEqual(problems, StringComparer.Ordinal), where + ": the check's problems");
                rejected += problems.Count > 0 ? 1 : 0;

                // Built even when the check would reject it: the same snapshot or the same refusal either way.
                var (expected, expectedRefusal) = Build(whole, wholeInterner);
                var (actual, actualRefusal) = Build(translation, joinedInterner);
                Assert.Equal(expectedRefusal, actualRefusal);
                if (expected is null || actual is null)
                {
                    Assert.NotNull(expectedRefusal);
                    refused++;
                    continue;
                }

                built++;
                Assert.True(expected.Version == actual.Version, where + ": the snapshot's version");
                foreach (var type in TypeUrls.AdsOrder)
                {
                    var (e, a) = (expected[type], actual[type]);
                    Assert.True(Contents(e.All).SequenceEqual(Contents(a.All)), $"{where}: {type}, every resource");
                    Assert.True(Contents(e.Wildcard).SequenceEqual(Contents(a.Wildcard)), $"{where}: {type}, the wildcard");
                    Assert.True(e.AllVersion == a.AllVersion && e.WildcardVersion == a.WildcardVersion, $"{where}: {type}, the versions");
                    Assert.Equal(ReferenceEquals(e.All, e.Wildcard), ReferenceEquals(a.All, a.Wildcard));
                }
            }
        }

        // Each must be common, or the property says little.
        Assert.True(joined > 7000, $"only {joined} joined translations");
        Assert.True(built > 9000, $"only {built} built ({refused} refused)");
        Assert.True(refused > 1500, $"only {refused} refused for a repeated name");
        Assert.True(rejected > 4500, $"only {rejected} with problems");
    }

    private static (Snapshot? Snapshot, string? Refusal) Build(ProxyResources resources, ResourceInterner interner)
    {
        try
        {
            return (SnapshotBuilder.Build(resources, interner), null);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message);
        }
    }

    private static IEnumerable<(string Name, string Version, bool OnDemandOnly, Google.Protobuf.WellKnownTypes.Any Packed)> Contents(IReadOnlyList<XdsResource> resources) =>
        resources.Select(r => (r.Name, r.Version, r.OnDemandOnly, r.Packed));
}
