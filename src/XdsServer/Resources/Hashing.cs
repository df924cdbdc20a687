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
    public static string VersionOf(IReadOnlyList<XdsResource> resources)
    {
        if (!IsSorted(resources))
        {
            return VersionOf(resources.Select(r => (r.Name, r.Version)).ToList());
        }

        var lines = new Lines(resources.Count);
        for (var i = 0; i < resources.Count; i++)
        {
            lines.Add(resources[i].Name, resources[i].Version);
        }

        return lines.Version();
    }

    /// <inheritdoc cref="VersionOf(IReadOnlyList{XdsResource})"/>
    public static string VersionOf(IEnumerable<XdsResource> resources) => VersionOf(resources as IReadOnlyList<XdsResource> ?? resources.ToList());

    /// <summary>The same hash over names and versions (proxy status shows the version a set of resources had).</summary>
    public static string VersionOf(IReadOnlyList<(string Name, string Version)> resources)
    {
        var lines = new Lines(resources.Count);
        foreach (var (name, version) in resources.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            lines.Add(name, version);
        }

        return lines.Version();
    }

    /// <summary>
    /// The lines of a version gathered into one pooled buffer and hashed at once: one call into the hash per line was
    /// most of the cost of versioning a set of a few hundred resources, and a hash object per set (with its native
    /// context) was most of what a snapshot's versions allocated. The bytes hashed are the same.
    /// </summary>
    private ref struct Lines
    {
        // Most lines are a resource name (30-60 characters) and a 16-digit version.
        private const int TypicalLineBytes = 96;

        private byte[] _buffer;
        private int _written;

        public Lines(int count)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(256, count * TypicalLineBytes));
        }

        public void Add(string name, string version)
        {
            var length = Encoding.UTF8.GetMaxByteCount(name.Length + version.Length + 2);
            if (_written + length > _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + length));
                _buffer.AsSpan(0, _written).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }

            _written += Encoding.UTF8.GetBytes(name, _buffer.AsSpan(_written));
            _buffer[_written++] = (byte)'=';
            _written += Encoding.UTF8.GetBytes(version, _buffer.AsSpan(_written));
            _buffer[_written++] = (byte)'\n';
        }

        /// <summary>The version of the lines added; the buffer goes back to the pool.</summary>
        public readonly string Version()
        {
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(_buffer.AsSpan(0, _written), hash);
            ArrayPool<byte>.Shared.Return(_buffer);
            return Hex(hash, 16);
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
