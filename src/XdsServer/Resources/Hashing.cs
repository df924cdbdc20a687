using System.Security.Cryptography;
using System.Text;

namespace Mesh.XdsServer.Resources;

/// <summary>Content hashes used as versions: stable across processes, unlike string.GetHashCode.</summary>
public static class Hashing
{
    public static string Hex(ReadOnlySpan<byte> hash, int chars) => Convert.ToHexStringLower(hash)[..chars];

    /// <summary>The version of a set of resources: a hash over their names and versions in name order.</summary>
    public static string VersionOf(IEnumerable<XdsResource> resources)
    {
        var text = new StringBuilder();
        foreach (var r in resources.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            text.Append(r.Name).Append('=').Append(r.Version).Append('\n');
        }

        return Hex(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 16);
    }
}
