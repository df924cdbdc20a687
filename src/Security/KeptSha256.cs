using System.Security.Cryptography;

namespace Mesh.Security;

/// <summary>
/// SHA-256 of bytes with the calling thread's kept context (<see cref="ThreadHashers"/>): the signer's payload hash of
/// a request body (<see cref="SigV4Signer"/>), made for every write the load client sends on the cores the API is
/// measured on. The one-shot <c>SHA256.HashData</c> makes, initialises and frees an OpenSSL context each time
/// (issue14ak, issue14be). The API's own body and clientToken hashes stay one-shot: moved to this, they were no
/// smaller a share of its samples in a write (docs/benchmarks.md, issue14be).
/// </summary>
public static class KeptSha256
{
    [ThreadStatic]
    private static long hashesOnThisThread;

    /// <summary>How many hashes the calling thread made here (for tests: a call count no other thread moves).</summary>
    public static long HashesOnThisThread => hashesOnThisThread;

    /// <summary>Writes the SHA-256 of <paramref name="data"/> (32 bytes) to <paramref name="digest"/>.</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        var hashers = ThreadHashers.Take();
        hashers.Sha256(data, digest);
        ThreadHashers.Give(hashers);
        hashesOnThisThread++;
    }

    /// <summary>The SHA-256 of <paramref name="data"/> as 64 lower-case hex characters.</summary>
    public static string HexOf(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(data, digest);
        return Convert.ToHexStringLower(digest);
    }
}
