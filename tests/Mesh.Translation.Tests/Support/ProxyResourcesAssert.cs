using Google.Protobuf;

namespace Mesh.Translation.Tests.Support;

/// <summary>
/// Two translations of one proxy compared list by list, so a failure names the list that differs: equal messages, and
/// the same bytes (equal messages can still serialise differently, a map's entries in another order, and the server
/// sends the bytes).
/// </summary>
internal static class ProxyResourcesAssert
{
    public static void Equal(ProxyResources expected, ProxyResources actual, string why)
    {
        Equal(expected.Listeners, actual.Listeners, why + " (listeners)");
        Equal(expected.OnDemandListeners, actual.OnDemandListeners, why + " (on-demand listeners)");
        Equal(expected.RouteConfigurations, actual.RouteConfigurations, why + " (routes)");
        Equal(expected.Clusters, actual.Clusters, why + " (clusters)");
        Equal(expected.OnDemandClusters, actual.OnDemandClusters, why + " (on-demand clusters)");
        Equal(expected.ClusterLoadAssignments, actual.ClusterLoadAssignments, why + " (endpoints)");
        Equal(expected.Secrets, actual.Secrets, why + " (secrets)");
        Assert.True(expected.Warnings.SequenceEqual(actual.Warnings), why + " (warnings)");
        Assert.True(expected.ProxylessWarnings.SequenceEqual(actual.ProxylessWarnings), why + " (proxyless warnings)");
    }

    private static void Equal<T>(IReadOnlyList<T> expected, IReadOnlyList<T> actual, string why)
        where T : IMessage<T>
    {
        Assert.True(expected.SequenceEqual(actual), why);
        Assert.True(expected.Select(m => m.ToByteString()).SequenceEqual(actual.Select(m => m.ToByteString())), why + ", as bytes");
    }
}
