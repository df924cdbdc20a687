using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Mesh.XdsServer.Resources;

/// <summary>Content hashes used as versions: stable across processes, unlike string.GetHashCode.</summary>
public static class Hashing
{
    /// <summary>The first <paramref name="chars"/> lowercase hex digits of <paramref name="hash"/>.</summary>
    public static string Hex(ReadOnlySpan<byte> hash, int chars) =>
        // An even count is whole bytes: only those are converted, not the whole hash and then cut (two strings).
        chars % 2 == 0 ? Convert.ToHexStringLower(hash[..(chars / 2)]) : Convert.ToHexStringLower(hash)[..chars];

    /// <summary>
    /// The version of a set of resources: the first 16 hex digits of the SHA-256 of <c>name=version\n</c> for each
    /// resource in ordinal name order, in UTF-8. Replicas and restarts give the same content the same version, so
    /// it must not change; sessions compute it only when what they would send changed (a snapshot precomputes
    /// its wildcard sets' versions, see <see cref="Snapshots.ResourceSet"/>).
    /// </summary>
    public static string VersionOf(IReadOnlyList<XdsResource> resources) =>
        VersionOf(resources.Count, i => (resources[i].Name, resources[i].Version), IsSorted(resources));

    /// <inheritdoc cref="VersionOf(IReadOnlyList{XdsResource})"/>
    public static string VersionOf(IEnumerable<XdsResource> resources) => VersionOf(resources as IReadOnlyList<XdsResource> ?? resources.ToList());

    /// <summary>The same hash over names and versions (proxy status shows the version a set of resources had).</summary>
    public static string VersionOf(IReadOnlyList<(string Name, string Version)> resources)
    {
        var sorted = resources.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        return VersionOf(sorted.Count, i => sorted[i], sorted: true);
    }

    private static string VersionOf(int count, Func<int, (string Name, string Version)> item, bool sorted)
    {
        if (!sorted)
        {
            var list = Enumerable.Range(0, count).Select(item).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
            return VersionOf(list.Count, i => list[i], sorted: true);
        }

        // The lines are gathered into one buffer and hashed a buffer at a time: one call into the hash per line was
        // most of the cost of versioning a set of a few hundred resources. The bytes hashed are the same.
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(8192);
        try
        {
            var written = 0;
            for (var i = 0; i < count; i++)
            {
                var (name, version) = item(i);
                var length = Encoding.UTF8.GetMaxByteCount(name.Length + version.Length + 2);
                if (written + length > buffer.Length)
                {
                    sha.AppendData(buffer, 0, written);
                    written = 0;
                    if (length > buffer.Length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(length);
                    }
                }

                written += Encoding.UTF8.GetBytes(name, buffer.AsSpan(written));
                buffer[written++] = (byte)'=';
                written += Encoding.UTF8.GetBytes(version, buffer.AsSpan(written));
                buffer[written++] = (byte)'\n';
            }

            sha.AppendData(buffer, 0, written);
            Span<byte> hash = stackalloc byte[32];
            sha.GetHashAndReset(hash);
            return Hex(hash, 16);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsSorted(IReadOnlyList<XdsResource> resources)
    {
        for (var i = 1; i < resources.Count; i++)
        {
            if (string.CompareOrdinal(resources[i - 1].Name, resources[i].Name) > 0)
            {
                return false;
            }
        }

        return true;
    }
}
