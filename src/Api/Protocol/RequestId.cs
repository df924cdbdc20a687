using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Mesh.Api.Protocol;

/// <summary>Gives every response an x-amzn-RequestId, which the SDKs surface in errors and logs.</summary>
/// <remarks>
/// An id is a version-4 UUID in form, as AWS's are: 64 random bits drawn once per process, then a counter that
/// starts at a random value. <c>Guid.NewGuid()</c> read the kernel's random source on every call (a system call,
/// about 1% of a warm Describe's samples, issue14am); an id only has to be unique, not unguessable (it names a call
/// in logs, audit records and traces, and grants nothing), and two processes share an id only if their 60 random
/// bits of prefix are equal.
/// </remarks>
public static class RequestId
{
    public const string Header = "x-amzn-RequestId";

    /// <summary>This process's first 8 bytes of every id, with the UUID's version (4) in place.</summary>
    private static readonly ulong Prefix = BinaryPrimitives.ReadUInt64BigEndian(RandomNumberGenerator.GetBytes(8)) & ~0xF000UL | 0x4000UL;

    private static long counter = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    /// <summary>A new id for <paramref name="context"/>: its trace identifier (logs, audit, traces) and its answer's header.</summary>
    public static void Assign(HttpContext context)
    {
        var requestId = Next();
        context.TraceIdentifier = requestId;
        context.Response.Headers[Header] = requestId;
    }

    /// <summary>
    /// The next id: the prefix, then the counter's low 62 bits under the UUID's variant bits (10), so ids repeat only
    /// after 2^62 calls of one process.
    /// </summary>
    public static string Next()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, Prefix);
        var count = (ulong)Interlocked.Increment(ref counter);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], count & 0x3FFF_FFFF_FFFF_FFFFUL | 0x8000_0000_0000_0000UL);
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
