using Mesh.Security;
using System.Globalization;

namespace Mesh.Security.Tests;

/// <summary>
/// A verifier that has just accepted a key's request (its signing key derived and kept, the header's credential and
/// signed headers parsed and kept) still refuses, with the same answer as a cold one, every request that is wrong:
/// a bad signature, a date outside the window or not the credential's, another region or service, a revoked key, a
/// rotated secret. Each would pass if what the verifier keeps between calls were trusted in place of a check.
/// </summary>
public sealed class SigV4WarmVerifierTests
{
    private const string KeyId = "AKIAWARMVERIFIER0001";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWARMKEY001";
    private const string Region = "us-east-1";
    private const string Service = "appmesh";
    private const string Path = "/v20190125/meshes/warm/virtualNodes/node-1";
    private const string EmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private readonly ManualClock clock = new();

    [Fact]
    public async Task AfterAnAcceptedCall_AChangedSignatureIsRefused()
    {
        var verifier = await WarmAsync();
        var good = Signed(clock.GetUtcNow());
        foreach (var position in new[] { 0, 31, 63 })
        {
            var bad = WithSignature(good, Flip(SignatureOf(good), position));
            await AssertRefusedAsync(verifier, bad, AuthFailure.InvalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
        }

        // The right signature is still accepted after the refusals.
        await verifier.VerifyAsync(good, FindSecret(Secret), CancellationToken.None);
    }

    [Fact]
    public async Task AfterAnAcceptedCall_ASignatureOfAnotherPathIsRefused()
    {
        var verifier = await WarmAsync();
        var other = Signed(clock.GetUtcNow(), path: Path + "x");
        var replayed = new SignedRequest("GET", Path, "", other.Headers, EmptyHash);
        await AssertRefusedAsync(verifier, replayed, AuthFailure.InvalidSignature,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
    }

    [Fact]
    public async Task AfterAnAcceptedCall_AnExpiredDateIsRefused()
    {
        var verifier = await WarmAsync();
        var now = clock.GetUtcNow();
        foreach (var at in new[] { now - SigV4Verifier.MaxSkew - TimeSpan.FromSeconds(1), now + SigV4Verifier.MaxSkew + TimeSpan.FromSeconds(1) })
        {
            var amzDate = at.ToString(SigV4.DateFormat, CultureInfo.InvariantCulture);
            var window = $"{(now - SigV4Verifier.MaxSkew).ToString(SigV4.DateFormat, CultureInfo.InvariantCulture)} - {(now + SigV4Verifier.MaxSkew).ToString(SigV4.DateFormat, CultureInfo.InvariantCulture)}";
            await AssertRefusedAsync(verifier, Signed(at), AuthFailure.InvalidSignature,
                $"Signature expired: {amzDate} is outside the allowed window ({window}); check the client's clock.");
        }
    }

    [Fact]
    public async Task TheSameDateAcceptedBefore_IsRefusedOnceTheClockHasMovedPastTheWindow()
    {
        var verifier = await WarmAsync();
        var request = Signed(clock.GetUtcNow());
        await verifier.VerifyAsync(request, FindSecret(Secret), CancellationToken.None);

        clock.Advance(SigV4Verifier.MaxSkew + TimeSpan.FromSeconds(1));
        var now = clock.GetUtcNow();
        var window = $"{(now - SigV4Verifier.MaxSkew).ToString(SigV4.DateFormat, CultureInfo.InvariantCulture)} - {(now + SigV4Verifier.MaxSkew).ToString(SigV4.DateFormat, CultureInfo.InvariantCulture)}";
        await AssertRefusedAsync(verifier, request, AuthFailure.InvalidSignature,
            $"Signature expired: {request.Header("x-amz-date")} is outside the allowed window ({window}); check the client's clock.");
    }

    [Theory]
    [InlineData("20261129T000000")]
    [InlineData("20261129T000000z")]
    [InlineData("2026-11-29T00:00:00Z")]
    [InlineData(" 20261129T000000Z")]
    public async Task AfterAnAcceptedCall_ADateNotInTheFormIsRefused(string amzDate)
    {
        var verifier = await WarmAsync();
        var good = Signed(clock.GetUtcNow());
        var headers = good.Headers.ToDictionary(h => h.Key, h => h.Value);
        headers["x-amz-date"] = [amzDate];
        await AssertRefusedAsync(verifier, good with { Headers = headers }, AuthFailure.IncompleteSignature,
            "The request needs an X-Amz-Date header in the form yyyyMMddTHHmmssZ.");
    }

    [Fact]
    public async Task AfterAnAcceptedCall_ASignatureNotInLowerCaseHexIsRefused()
    {
        var verifier = await WarmAsync();
        var good = Signed(clock.GetUtcNow());
        var signature = SignatureOf(good);
        foreach (var bad in new[] { signature.ToUpperInvariant(), signature[..63], signature + "0", signature[..62] + "g0", signature[..63] + " " })
        {
            await AssertRefusedAsync(verifier, WithSignature(good, bad), AuthFailure.InvalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
        }
    }

    [Fact]
    public async Task AfterAnAcceptedCall_ACredentialOfAnotherDayIsRefused()
    {
        var verifier = await WarmAsync();
        var now = clock.GetUtcNow();
        var yesterday = now.AddDays(-1).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        await AssertRefusedAsync(verifier, Signed(now, scopeDate: yesterday), AuthFailure.InvalidSignature,
            $"Credential should be scoped to the request date {now:yyyyMMdd}, not '{yesterday}'.");
    }

    [Theory]
    [InlineData("eu-west-1", Service, "Credential should be scoped to a valid region, 'us-east-1', not 'eu-west-1'.")]
    [InlineData(Region, "servicediscovery", "Credential should be scoped to correct service: 'appmesh', not 'servicediscovery'.")]
    public async Task AfterAnAcceptedCall_ASignatureForAnotherRegionOrServiceIsRefused(string region, string service, string message)
    {
        var verifier = await WarmAsync();
        await AssertRefusedAsync(verifier, Signed(clock.GetUtcNow(), region: region, service: service), AuthFailure.InvalidSignature, message);
    }

    [Fact]
    public async Task AfterAnAcceptedCall_ARevokedKeyIsRefused()
    {
        var verifier = await WarmAsync();
        await AssertRefusedAsync(verifier, Signed(clock.GetUtcNow()), AuthFailure.UnrecognizedClient,
            $"The security token included in the request is invalid: access key '{KeyId}' is unknown or revoked.", FindSecret(null));
    }

    [Fact]
    public async Task AfterAnAcceptedCall_TheOldSecretOfARotatedKeyIsRefused_AndTheNewOneAccepted()
    {
        var verifier = await WarmAsync();
        const string rotated = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWARMKEY002";
        await AssertRefusedAsync(verifier, Signed(clock.GetUtcNow()), AuthFailure.InvalidSignature,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
            FindSecret(rotated));
        await verifier.VerifyAsync(Signed(clock.GetUtcNow(), secret: rotated), FindSecret(rotated), CancellationToken.None);
    }

    [Fact]
    public async Task OnTheNextDay_TheSameKeySignsWithThatDaysKey()
    {
        var verifier = await WarmAsync();
        clock.Advance(TimeSpan.FromDays(1));
        await verifier.VerifyAsync(Signed(clock.GetUtcNow()), FindSecret(Secret), CancellationToken.None);

        // Yesterday's signature under today's credential date: the key derived for yesterday is not today's.
        var yesterdaysKey = SigV4.SigningKey(Secret, clock.GetUtcNow().AddDays(-1).ToString("yyyyMMdd", CultureInfo.InvariantCulture), Region, Service);
        await AssertRefusedAsync(verifier, Signed(clock.GetUtcNow(), signingKey: yesterdaysKey), AuthFailure.InvalidSignature,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
    }

    [Fact]
    public async Task TheKeyOverload_ReturnsTheKeyItVerifiedWith_WhetherFoundAtOnceOrAfterWaiting()
    {
        var verifier = await WarmAsync();
        var key = new ActiveKey(KeyId, Secret, "111122223333", KeyPolicy.Admin);

        var (authorization, found) = await verifier.VerifyAsync(Signed(clock.GetUtcNow()),
            (id, _) => ValueTask.FromResult<ActiveKey?>(id == KeyId ? key : null), static k => k.Secret, CancellationToken.None);
        Assert.Equal(KeyId, authorization.AccessKeyId);
        Assert.Same(key, found);

        var read = new TaskCompletionSource<ActiveKey?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = verifier.VerifyAsync(Signed(clock.GetUtcNow()), (_, _) => new ValueTask<ActiveKey?>(read.Task), static k => k.Secret, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        read.SetResult(key);
        Assert.Same(key, (await waiting).Key);
    }

    [Fact]
    public async Task TheKeyOverload_RefusesAnUnknownKey_AndAWrongSecret_AsTheSecretOverloadDoes()
    {
        var verifier = await WarmAsync();
        var unknown = await Assert.ThrowsAsync<AuthFailure>(async () => await verifier.VerifyAsync(Signed(clock.GetUtcNow()),
            (_, _) => ValueTask.FromResult<ActiveKey?>(null), static k => k.Secret, CancellationToken.None));
        Assert.Equal(AuthFailure.UnrecognizedClient, unknown.Code);
        Assert.Equal($"The security token included in the request is invalid: access key '{KeyId}' is unknown or revoked.", unknown.Message);

        var rotated = new ActiveKey(KeyId, "another-secret", "111122223333", KeyPolicy.Admin);
        var wrong = await Assert.ThrowsAsync<AuthFailure>(async () => await verifier.VerifyAsync(Signed(clock.GetUtcNow()),
            (_, _) => ValueTask.FromResult<ActiveKey?>(rotated), static k => k.Secret, CancellationToken.None));
        Assert.Equal(AuthFailure.InvalidSignature, wrong.Code);
    }

    /// <summary>A verifier that has accepted one good call of the key, so that everything it keeps per key is kept.</summary>
    private async Task<SigV4Verifier> WarmAsync()
    {
        var verifier = new SigV4Verifier(Region, Service, clock);
        for (var i = 0; i < 3; i++)
        {
            var authorization = await verifier.VerifyAsync(Signed(clock.GetUtcNow()), FindSecret(Secret), CancellationToken.None);
            Assert.Equal(KeyId, authorization.AccessKeyId);
        }

        return verifier;
    }

    private static async Task AssertRefusedAsync(SigV4Verifier verifier, SignedRequest request, string code, string message, Func<string, CancellationToken, Task<string?>>? findSecret = null)
    {
        var error = await Assert.ThrowsAsync<AuthFailure>(() => verifier.VerifyAsync(request, findSecret ?? FindSecret(Secret), CancellationToken.None));
        Assert.Equal(code, error.Code);
        Assert.Equal(message, error.Message);
    }

    private static Func<string, CancellationToken, Task<string?>> FindSecret(string? secret) =>
        (id, _) => Task.FromResult(id == KeyId ? secret : null);

    /// <summary>A GET signed step by step (canonical request, string to sign, a key derived for it), as a client signs it.</summary>
    private static SignedRequest Signed(DateTimeOffset at, string secret = Secret, string region = Region, string service = Service,
        string path = Path, string? scopeDate = null, byte[]? signingKey = null)
    {
        var amzDate = at.ToString(SigV4.DateFormat, CultureInfo.InvariantCulture);
        var date = scopeDate ?? amzDate[..8];
        var scope = $"{date}/{region}/{service}/aws4_request";
        string[] signedHeaders = ["host", "x-amz-date"];
        var headers = new Dictionary<string, IReadOnlyList<string>>
        {
            ["host"] = ["127.0.0.1:8080"],
            ["x-amz-date"] = [amzDate],
        };
        var unsigned = new SignedRequest("GET", path, "", headers, EmptyHash);
        var signature = SigV4.Signature(signingKey ?? SigV4.SigningKey(secret, date, region, service),
            SigV4.StringToSign(amzDate, scope, SigV4.CanonicalRequest(unsigned, signedHeaders)));
        headers["authorization"] = [$"AWS4-HMAC-SHA256 Credential={KeyId}/{scope}, SignedHeaders=host;x-amz-date, Signature={signature}"];
        return unsigned;
    }

    private static string SignatureOf(SignedRequest request) =>
        request.Header("authorization")![(request.Header("authorization")!.IndexOf("Signature=", StringComparison.Ordinal) + "Signature=".Length)..];

    private static SignedRequest WithSignature(SignedRequest request, string signature)
    {
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value);
        var header = request.Header("authorization")!;
        headers["authorization"] = [header[..(header.IndexOf("Signature=", StringComparison.Ordinal) + "Signature=".Length)] + signature];
        return request with { Headers = headers };
    }

    private static string Flip(string hex, int position)
    {
        var chars = hex.ToCharArray();
        chars[position] = chars[position] == '0' ? '1' : '0';
        return new string(chars);
    }
}

/// <summary>The hashers kept per thread (<c>ThreadHashers</c>) give what the one-shot computation gives, whatever came before on the thread.</summary>
public sealed class SigV4KeptHashersTests
{
    [Fact]
    public void Sign_WithKeysAlternatingOnOneThread_GivesEachKeysSignature()
    {
        var request = new SignedRequest("GET", "/v20190125/meshes/m/virtualNodes", "limit=100",
            new Dictionary<string, IReadOnlyList<string>> { ["host"] = ["h"], ["x-amz-date"] = ["20261201T040000Z"] },
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        string[] signedHeaders = ["host", "x-amz-date"];
        const string scope = "20261201/us-east-1/appmesh/aws4_request";
        var keys = new[] { "secret-a", "secret-b", "secret-a", "secret-a", "secret-c", "secret-b" }
            .Select(secret => SigV4.SigningKey(secret, "20261201", "us-east-1", "appmesh")).ToArray();
        var signature = new char[64];
        foreach (var key in keys)
        {
            SigV4.Sign(request, signedHeaders, "20261201T040000Z", scope, key, signature);
            Assert.Equal(SigV4.Signature(key, SigV4.StringToSign("20261201T040000Z", scope, SigV4.CanonicalRequest(request, signedHeaders))), new string(signature));
        }

        // The same bytes in another array are the same key; an array changed after use is not taken for the old key.
        var copy = (byte[])keys[0].Clone();
        SigV4.Sign(request, signedHeaders, "20261201T040000Z", scope, copy, signature);
        var expected = SigV4.Signature(keys[0], SigV4.StringToSign("20261201T040000Z", scope, SigV4.CanonicalRequest(request, signedHeaders)));
        Assert.Equal(expected, new string(signature));
        copy[0] ^= 1;
        SigV4.Sign(request, signedHeaders, "20261201T040000Z", scope, copy, signature);
        Assert.NotEqual(expected, new string(signature));
        Assert.Equal(SigV4.Signature(copy, SigV4.StringToSign("20261201T040000Z", scope, SigV4.CanonicalRequest(request, signedHeaders))), new string(signature));
    }
}
