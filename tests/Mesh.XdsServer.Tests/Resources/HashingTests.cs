using Envoy.Config.Cluster.V3;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Tests.Resources;

/// <summary>
/// Versions are shared by replicas and restarts, so their algorithm is fixed: the first 16 hex digits of the
/// SHA-256 of <c>name=version\n</c> per resource in ordinal name order, UTF-8. The expected strings below were
/// computed with another tool (Python's hashlib) from that description.
/// </summary>
public sealed class HashingTests
{
    [Fact]
    public void The_Version_Of_A_Set_Is_Fixed_By_Its_Names_And_Versions_In_Name_Order()
    {
        Assert.Equal("4a73850fde34aad4", Hashing.VersionOf([("b", "2"), ("a", "1")]));
        Assert.Equal("4a73850fde34aad4", Hashing.VersionOf([("a", "1"), ("b", "2")]));
        Assert.Equal("f7bdc9dac264b29a", Hashing.VersionOf([("r\u00e9", "1")]));
        Assert.Equal("e3b0c44298fc1c14", Hashing.VersionOf(Array.Empty<XdsResource>()));
    }

    [Fact]
    public void Hex_Gives_The_First_Digits_Of_The_Whole_Hash_For_Any_Count()
    {
        // Even counts convert only the bytes they need; every count must still give the whole hash's first digits.
        var hash = System.Security.Cryptography.SHA256.HashData("mesh"u8);
        var whole = Convert.ToHexStringLower(hash);
        for (var chars = 0; chars <= whole.Length; chars++)
        {
            Assert.Equal(whole[..chars], Hashing.Hex(hash, chars));
        }
    }

    [Fact]
    public void Resources_Hash_Like_Their_Names_And_Versions_In_Any_Order_And_Length()
    {
        var resources = Enumerable.Range(0, 300)
            .Select(i => XdsResource.Create(TypeUrls.Cluster, $"cluster-{i:D3}-{new string('x', i)}", new Cluster { Name = $"c{i}" }))
            .ToList();
        var expected = Hashing.VersionOf(resources.Select(r => (r.Name, r.Version)).ToList());

        Assert.Equal(expected, Hashing.VersionOf(resources));
        Assert.Equal(expected, Hashing.VersionOf(Enumerable.Reverse(resources).ToList()));
    }

    [Fact]
    public void A_Long_Set_Hashes_Like_All_Its_Lines_Hashed_At_Once()
    {
        // Lines are hashed a buffer at a time: sets far longer than a buffer, and one line longer than a buffer alone.
        var items = Enumerable.Range(0, 700)
            .Select(i => ($"route-{i:D4}-{new string('\u00e9', i % 40)}", $"v{i}"))
            .Append(("zz-long", new string('v', 20_000)))
            .ToList();
        var text = string.Concat(items.Select(i => $"{i.Item1}={i.Item2}\n"));
        var expected = Hashing.Hex(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)), 16);

        Assert.Equal(expected, Hashing.VersionOf(items));
    }

    [Fact]
    public void A_Resource_Set_Precomputes_The_Versions_Of_All_And_Of_The_Wildcard()
    {
        var set = new ResourceSet(
        [
            XdsResource.Create(TypeUrls.Listener, "b", new Cluster { Name = "b" }),
            XdsResource.Create(TypeUrls.Listener, "a", new Cluster { Name = "a" }, onDemandOnly: true),
        ]);

        Assert.Equal(Hashing.VersionOf(set.All), set.AllVersion);
        Assert.Equal(Hashing.VersionOf(set.Wildcard), set.WildcardVersion);
        Assert.NotEqual(set.AllVersion, set.WildcardVersion);
        Assert.Equal("e3b0c44298fc1c14", ResourceSet.Empty.WildcardVersion);
    }
}
