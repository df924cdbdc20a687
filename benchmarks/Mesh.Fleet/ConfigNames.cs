using System.Collections.Concurrent;
using System.IO.Hashing;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Fleet;

/// <summary>
/// What a simulated Envoy reads out of the resources it receives: the EDS service name of a cluster, the route
/// configuration names of a listener. Those decide what it asks for next, so they must be read, but every proxy of
/// a client virtual node receives the same bytes, and parsing every cluster and listener again for each of them
/// was fleet CPU spent on the two cores the server is measured on. So the answer is kept per resource content (the
/// <c>Any</c>'s type URL and bytes, compared in full): the same bytes give the same names, as parsing them again
/// would. A real Envoy parses its own responses on its own CPU.
/// </summary>
internal static class ConfigNames
{
    // Distinct resource contents of one run are a few hundred (a mesh's clusters and listeners); the bound only
    // keeps a long run with many changes from growing without end.
    private const int MaxKept = 50_000;

    private static readonly ConcurrentDictionary<ByteString, string?> EdsNames = new(ContentComparer.Instance);
    private static readonly ConcurrentDictionary<ByteString, string[]> RouteNamesOf = new(ContentComparer.Instance);

    /// <summary>The cluster's EDS service name (its name when it sets none), or null when it is not an EDS cluster.</summary>
    public static string? EdsServiceName(Any resource)
    {
        Expect(resource, Cluster.Descriptor);
        return Remember(EdsNames, resource.Value, static bytes =>
        {
            var cluster = Cluster.Parser.ParseFrom(bytes);
            return cluster.Type != Cluster.Types.DiscoveryType.Eds ? null
                : cluster.EdsClusterConfig?.ServiceName is { Length: > 0 } s ? s : cluster.Name;
        });
    }

    /// <summary>The route configurations the listener's HTTP connection managers name through RDS.</summary>
    public static IReadOnlyList<string> RouteNames(Any resource)
    {
        Expect(resource, Listener.Descriptor);
        return Remember(RouteNamesOf, resource.Value, static bytes =>
        {
            var listener = Listener.Parser.ParseFrom(bytes);
            var names = new List<string>();
            foreach (var filter in listener.FilterChains.SelectMany(c => c.Filters).Concat(listener.DefaultFilterChain?.Filters ?? []))
            {
                if (filter.TypedConfig is { } any && any.Is(HttpConnectionManager.Descriptor) && any.Unpack<HttpConnectionManager>().Rds is { } rds)
                {
                    names.Add(rds.RouteConfigName);
                }
            }

            return names.ToArray();
        });
    }

    /// <summary>As <see cref="Any.Unpack{T}"/> would: a resource of another type is an error, not an empty answer.</summary>
    private static void Expect(Any resource, Google.Protobuf.Reflection.MessageDescriptor descriptor)
    {
        if (!resource.Is(descriptor))
        {
            throw new InvalidOperationException($"expected a {descriptor.FullName}, got {resource.TypeUrl}");
        }
    }

    private static T Remember<T>(ConcurrentDictionary<ByteString, T> kept, ByteString bytes, Func<ByteString, T> read)
    {
        if (kept.TryGetValue(bytes, out var known))
        {
            return known;
        }

        var value = read(bytes);
        if (kept.Count >= MaxKept)
        {
            kept.Clear();
        }

        kept.TryAdd(bytes, value);
        return value;
    }

    /// <summary>Bytes compared by content; hashed with XXH3 (ByteString's own hash takes a byte a step).</summary>
    private sealed class ContentComparer : IEqualityComparer<ByteString>
    {
        public static readonly ContentComparer Instance = new();

        public bool Equals(ByteString? x, ByteString? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.Span.SequenceEqual(y.Span));

        public int GetHashCode(ByteString obj) => (int)XxHash3.HashToUInt64(obj.Span);
    }
}
