using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Mesh.XdsServer.Resources;

/// <summary>Content hashes used as versions: stable across processes, unlike string.GetHashCode.</summary>
public static class Hashing
{
    // Most lines are a resource name (30-60 characters) and a 16-digit version.
    private const int TypicalLineBytes = 96;

    /// <summary>The first <paramref name="chars"/> lowercase hex digits of <paramref name="hash"/>.</summary>
    public static string Hex(ReadOnlySpan<byte> hash, int chars) =>
        // An even count is whole bytes: only those are converted, not the whole hash and then cut (two strings).
        chars % 2 == 0 ? Convert.ToHexStringLower(hash[..(chars / 2)]) : Convert.ToHexStringLower(hash)[..chars];

    /// <summary>
    /// The version of a set of resources: the first 16 hex digits of the SHA-256 of <c>name=version\n</c> for each
    /// resource in ordinal name order, in UTF-8. Replicas and restarts give the same content the same version, so
    /// it must not change; sessions compute it only when what they would send changed (a snapshot precomputes
    /// its wildcard sets' versions, see <see cref="Snapshots.ResourceSet"/>, and a set joined to a shared part's
    /// continues that part's lines, see <see cref="Snapshots.JoinedVersions"/>).
    /// </summary>
    public static string VersionOf(IReadOnlyList<XdsResource> resources)
    {
        if (!IsSorted(resources))
        {
            return VersionOf(resources.Select(r => (r.Name, r.Version)).ToList());
        }

        var lines = Lines.For(resources.Count);
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
        var lines = Lines.For(resources.Count);
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
    internal ref struct Lines
    {
        private byte[] _buffer;
        private int _written;

        private Lines(int bytes)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(256, bytes));
        }

        /// <summary>Room for about <paramref name="count"/> lines.</summary>
        public static Lines For(int count) => new(count * TypicalLineBytes);

        /// <summary>Room for <paramref name="bytes"/> of lines already encoded and about <paramref name="count"/> more.</summary>
        public static Lines For(int bytes, int count) => new(bytes + count * TypicalLineBytes);

        public void Add(string name, string version)
        {
            var destination = Room(Encoding.UTF8.GetMaxByteCount(name.Length + version.Length + 2));
            var length = Encoding.UTF8.GetBytes(name, destination);
            destination[length++] = (byte)'=';
            length += Encoding.UTF8.GetBytes(version, destination[length..]);
            destination[length++] = (byte)'\n';
            _written += length;
        }

        /// <summary>Lines already encoded (<see cref="EncodedLines"/>).</summary>
        public void Add(ReadOnlySpan<byte> lines)
        {
            lines.CopyTo(Room(lines.Length));
            _written += lines.Length;
        }

        /// <summary>How many bytes the lines added so far take.</summary>
        public readonly int Written => _written;

        /// <summary>The lines added, in an array of their own; the buffer goes back to the pool.</summary>
        public readonly byte[] Detach()
        {
            var bytes = _buffer.AsSpan(0, _written).ToArray();
            ArrayPool<byte>.Shared.Return(_buffer);
            return bytes;
        }

        /// <summary>The version of the lines added; the buffer goes back to the pool.</summary>
        public readonly string Version()
        {
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(_buffer.AsSpan(0, _written), hash);
            ArrayPool<byte>.Shared.Return(_buffer);
            return Hex(hash, 16);
        }

        /// <summary>
        /// The version of lines that <paramref name="before"/> (a SHA-256 of the lines before them, which this
        /// finishes; the caller disposes it) holds, then of the lines added; the buffer goes back to the pool.
        /// </summary>
        public readonly string Version(IncrementalHash before)
        {
            Span<byte> hash = stackalloc byte[32];
            before.AppendData(_buffer.AsSpan(0, _written));
            before.GetHashAndReset(hash);
            ArrayPool<byte>.Shared.Return(_buffer);
            return Hex(hash, 16);
        }

        private Span<byte> Room(int length)
        {
            if (_written + length > _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + length));
                _buffer.AsSpan(0, _written).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }

            return _buffer.AsSpan(_written);
        }
    }

    /// <summary>
    /// The lines of a sorted list encoded once, each one's bytes found by its index: lists that take over most of
    /// its lines (a node's own resources merged into a shared part's, see <see cref="Snapshots.JoinedVersions"/>)
    /// copy them instead of encoding each again for every identity.
    /// </summary>
    internal sealed class EncodedLines
    {
        private readonly byte[] _bytes;

        // _ends[i] is where line i ends (and line i + 1 starts); line 0 starts at 0.
        private readonly int[] _ends;

        public EncodedLines(IReadOnlyList<XdsResource> sorted)
        {
            _ends = new int[sorted.Count];
            var lines = Lines.For(sorted.Count);
            for (var i = 0; i < sorted.Count; i++)
            {
                lines.Add(sorted[i].Name, sorted[i].Version);
                _ends[i] = lines.Written;
            }

            _bytes = lines.Detach();
        }

        public int Count => _ends.Length;

        /// <summary>Where line <paramref name="line"/> starts, in bytes (<see cref="Count"/>: the end of the last).</summary>
        public int Start(int line) => line == 0 ? 0 : _ends[line - 1];

        /// <summary>The bytes of lines <paramref name="from"/> to <paramref name="to"/> (not included).</summary>
        public ReadOnlySpan<byte> Of(int from, int to) => _bytes.AsSpan(Start(from), Start(to) - Start(from));
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
