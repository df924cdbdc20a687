using System.Security.Cryptography;
using System.Text;

namespace Mesh.Security.Tests;

/// <summary>
/// The SHA-256 made with the thread's kept context: the same digest as the one-shot hash for any input, also between the
/// verifier's own hashes on the same thread, and what the signer hashes a body with.
/// </summary>
public sealed class KeptSha256Tests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public void Hash_IsTheOneShotDigest_CallAfterCall(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        Span<byte> digest = stackalloc byte[32];
        for (var call = 0; call < 3; call++)
        {
            if (length > 0)
            {
                data[call % length] ^= (byte)(call + 1); // a new input each call
            }

            KeptSha256.Hash(data, digest);

            Assert.Equal(SHA256.HashData(data), digest.ToArray());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), KeptSha256.HexOf(data));
        }
    }

    [Fact]
    public void Hash_BetweenTheVerifiersHashesOnTheSameThread_KeepsEveryDigestRight()
    {
        // The kept SHA-256 context is the one the canonical request is hashed with (ThreadHashers): a signature computed
        // between two body hashes, and a body hash between two signatures, must each start from a reset context.
        var body = Encoding.UTF8.GetBytes("""{"virtualNodeName":"web","spec":{},"clientToken":"t"}""");
        var keys = new SigningKeyCache("us-east-1", "appmesh");
        var at = new DateTimeOffset(2026, 12, 2, 16, 0, 0, TimeSpan.Zero);
        string? first = null;
        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), KeptSha256.HexOf(body));
            var request = new HttpRequestMessage(HttpMethod.Put, "http://127.0.0.1:57880/v20190125/meshes/m/virtualNodes");
            SigV4Signer.Sign(request, body, "AKIDEXAMPLE", "secret", keys, at);
            var authorization = Assert.Single(request.Headers.GetValues("Authorization"));
            first ??= authorization;
            Assert.Equal(first, authorization);
        }
    }

    [Fact]
    public void TheSignerHashesABodyWithTheKeptContext_AndAnEmptyBodyNot()
    {
        var keys = new SigningKeyCache("us-east-1", "appmesh");
        var at = new DateTimeOffset(2026, 12, 2, 16, 0, 0, TimeSpan.Zero);
        var before = KeptSha256.HashesOnThisThread;

        SigV4Signer.Sign(new HttpRequestMessage(HttpMethod.Put, "http://127.0.0.1/v20190125/meshes"), Encoding.UTF8.GetBytes("""{"meshName":"m"}"""),
            "AKIDEXAMPLE", "secret", keys, at);
        SigV4Signer.Sign(new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1/v20190125/meshes"), [], "AKIDEXAMPLE", "secret", keys, at);

        // One hash, the body's: the empty body's hash is a constant.
        Assert.Equal(before + 1, KeptSha256.HashesOnThisThread);
    }
}
