using System.Security.Cryptography;

namespace Mesh.Security.Tests;

/// <summary>Access-key secrets at rest: encrypted with the master key and bound to their access key id.</summary>
public sealed class SecretProtectorTests
{
    private readonly SecretProtector _protector = new(SecretProtector.NewMasterKey());

    [Fact]
    public void Round_Trips_And_Never_Stores_The_Secret_In_Clear()
    {
        var stored = _protector.Protect("AKIA1", "s3cret-value");

        Assert.Equal("s3cret-value", _protector.Unprotect("AKIA1", stored));
        Assert.DoesNotContain("s3cret-value", System.Text.Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
        Assert.NotEqual(stored, _protector.Protect("AKIA1", "s3cret-value")); // a fresh nonce each time
    }

    [Fact]
    public void A_Secret_Moved_To_Another_Key_Or_Read_With_Another_Master_Key_Fails()
    {
        var stored = _protector.Protect("AKIA1", "s3cret-value");

        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect("AKIA2", stored));
        Assert.ThrowsAny<CryptographicException>(() => new SecretProtector(SecretProtector.NewMasterKey()).Unprotect("AKIA1", stored));
    }

    [Theory]
    [InlineData("c2hvcnQ=", "it decodes to 5 bytes")]
    [InlineData("not base64!", "it is not base64")]
    public void A_Bad_Master_Key_Is_Named(string key, string why)
    {
        var problem = SecretProtector.FormatProblem(key);

        Assert.NotNull(problem);
        Assert.StartsWith("Mesh:Auth:MasterKey must be base64 of 32 random bytes, but " + why, problem, StringComparison.Ordinal);
        Assert.Null(SecretProtector.FormatProblem(SecretProtector.NewMasterKey()));
    }
}
