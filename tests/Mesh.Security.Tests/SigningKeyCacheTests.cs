using Mesh.Security;

namespace Mesh.Security.Tests;

public sealed class SigningKeyCacheTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    [Fact]
    public void For_DerivesTheSigningKeyOncePerSecretAndDate()
    {
        var cache = new SigningKeyCache("us-east-1", "appmesh");

        var first = cache.For(Secret, "20261129");
        var again = cache.For(Secret, "20261129");

        Assert.Equal(SigV4.SigningKey(Secret, "20261129", "us-east-1", "appmesh"), first);
        Assert.Same(first, again);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void For_ANewDateOrARotatedSecret_DerivesAnotherKey()
    {
        var cache = new SigningKeyCache("us-east-1", "appmesh");
        var today = cache.For(Secret, "20261129");

        var tomorrow = cache.For(Secret, "20261130");
        var rotated = cache.For(Secret + "x", "20261129");

        Assert.Equal(SigV4.SigningKey(Secret, "20261130", "us-east-1", "appmesh"), tomorrow);
        Assert.Equal(SigV4.SigningKey(Secret + "x", "20261129", "us-east-1", "appmesh"), rotated);
        Assert.NotEqual(today, tomorrow);
        Assert.NotEqual(today, rotated);
    }

    [Fact]
    public void For_HoldsNoMoreThanItsCapacity()
    {
        var cache = new SigningKeyCache("us-east-1", "appmesh", capacity: 3);

        for (var i = 0; i < 10; i++)
        {
            var key = cache.For($"secret-{i}", "20261129");
            Assert.Equal(SigV4.SigningKey($"secret-{i}", "20261129", "us-east-1", "appmesh"), key);
            Assert.InRange(cache.Count, 1, 3);
        }
    }
}
