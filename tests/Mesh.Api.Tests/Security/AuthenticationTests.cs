using Mesh.Security;
using System.Diagnostics;
using System.Text;
using Mesh.Api.Security;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Security;

/// <summary>SigV4 on the running API: what is accepted, and each way a request can be tampered with.</summary>
public sealed class AuthenticationTests(ApiServer api) : IClassFixture<ApiServer>
{
    private const string Body = "{\"meshName\":\"signed-mesh\"}";

    [Fact]
    public async Task Unsigned_IsMissingAuthenticationToken()
    {
        using var client = new HttpClient { BaseAddress = api.BaseAddress };
        var response = await ApiServer.SendAsync(client, new HttpRequestMessage(HttpMethod.Get, Paths.Meshes));
        response.AssertError(403, "MissingAuthenticationTokenException");
    }

    [Fact]
    public async Task HealthAndDocs_NeedNoSignature()
    {
        using var client = new HttpClient { BaseAddress = api.BaseAddress };
        Assert.True((await client.GetAsync("/healthz")).IsSuccessStatusCode);
        Assert.True((await client.GetAsync("/openapi/v1.json")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Signed_IsAccepted()
    {
        var response = await SendSignedAsync(HttpMethod.Get, Paths.Meshes + "?limit=5", "", tamper: null);
        response.AssertOk();
    }

    public static TheoryData<string, string, string> Tamperings() => new()
    {
        { "body", "InvalidSignatureException", "signature we calculated does not match" },
        { "query", "InvalidSignatureException", "signature we calculated does not match" },
        { "header", "InvalidSignatureException", "signature we calculated does not match" },
        { "date", "InvalidSignatureException", "Signature expired" },
        { "region", "InvalidSignatureException", "Credential should be scoped to a valid region" },
        { "service", "InvalidSignatureException", "Credential should be scoped to correct service" },
        { "secret", "InvalidSignatureException", "signature we calculated does not match" },
        { "key", "UnrecognizedClientException", "is unknown or revoked" },
        { "malformed", "IncompleteSignatureException", "Authorization header requires 'Signature' parameter" },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Tampered_IsRejected(string tamper, string errorType, string message)
    {
        var response = await SendSignedAsync(HttpMethod.Put, Paths.Meshes + "?limit=5", Body, tamper);
        Assert.Equal(errorType, response.ErrorType);
        Assert.Contains(message, response.Message);
        Assert.Equal(errorType == "IncompleteSignatureException" ? 400 : 403, response.Status);

        // Nothing was written.
        (await api.SendAsync(HttpMethod.Get, Paths.Mesh("signed-mesh"))).AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task RevokedKey_IsUnrecognized()
    {
        var key = await api.CreateKeyAsync(ApiServer.AccountId, KeyPolicy.ReadOnly);
        using var client = api.CreateClient(key);
        (await api.SendAsync(client, HttpMethod.Get, Paths.Meshes)).AssertOk();
        var store = (AccessKeyStore)api.Services.GetService(typeof(AccessKeyStore))!;
        Assert.True(await store.RevokeAsync(key.AccessKeyId, CancellationToken.None));
        (await api.SendAsync(client, HttpMethod.Get, Paths.Meshes)).AssertError(403, "UnrecognizedClientException");
    }

    [Fact]
    public async Task KeyRevokedElsewhere_IsRefusedWithinTheCacheLifetime()
    {
        // Another replica (here: the database directly) revokes the key this API has cached.
        var key = await api.CreateKeyAsync(ApiServer.AccountId, KeyPolicy.ReadOnly);
        using var client = api.CreateClient(key);
        (await api.SendAsync(client, HttpMethod.Get, Paths.Meshes)).AssertOk();
        await using (var connection = new Npgsql.NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var revoke = new Npgsql.NpgsqlCommand("UPDATE access_keys SET revoked_at = now() WHERE access_key_id = @id", connection);
            revoke.Parameters.AddWithValue("id", key.AccessKeyId);
            Assert.Equal(1, await revoke.ExecuteNonQueryAsync());
        }

        // Past the cache's lifetime (with margin for a loaded machine), the key is refused.
        await Task.Delay(AccessKeyStore.CacheLifetime + TimeSpan.FromMilliseconds(200));
        (await api.SendAsync(client, HttpMethod.Get, Paths.Meshes)).AssertError(403, "UnrecognizedClientException");
    }

    [Fact]
    public async Task RequestSignedByBotocore_IsAccepted()
    {
        // botocore is the signer of the AWS CLI v1 and boto3, written independently of ours.
        const string script = """
            import sys, json, urllib.request
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            endpoint, key, secret = sys.argv[1:4]
            body = json.dumps({"meshName": "botocore-signed", "spec": {"egressFilter": {"type": "ALLOW_ALL"}}})
            request = AWSRequest(method="PUT", url=endpoint + "/v20190125/meshes", data=body, headers={"Content-Type": "application/json"})
            SigV4Auth(Credentials(key, secret), "appmesh", "us-east-1").add_auth(request)
            prepared = request.prepare()
            http = urllib.request.Request(prepared.url, data=prepared.body.encode(), method="PUT", headers=dict(prepared.headers))
            with urllib.request.urlopen(http) as response:
                print(json.load(response)["metadata"]["version"])
            """;
        var (exit, output) = await RunPythonAsync(script, api.BaseAddress.ToString().TrimEnd('/'), api.AdminKey.AccessKeyId, api.AdminKey.SecretAccessKey);
        Assert.True(exit == 0, output);
        Assert.Equal("1", output.Trim());
        (await api.SendAsync(HttpMethod.Get, Paths.Mesh("botocore-signed"))).AssertOk();
    }

    /// <summary>
    /// A query whose escapes cannot be decoded has no canonical form for SigV4 (which signs each name and value decoded
    /// and encoded again), so it is refused as bad input naming the parameter, signed though it is (botocore signs the
    /// query as it is in the URL); one whose escapes decode is still the signature's to decide.
    /// </summary>
    [Theory]
    [InlineData("nextToken=%FF%FE", 400, "The query string's parameter \"nextToken\" has a value whose percent-encoding is not valid (\"%FF%FE\"): its escapes are not UTF-8.")]
    [InlineData("x=%", 400, "The query string's parameter \"x\" has a value whose percent-encoding is not valid (\"%\"): a '%' is not followed by two hexadecimal digits.")]
    [InlineData("%%%", 400, "The query string has a parameter name whose percent-encoding is not valid (\"%%%\"): a '%' is not followed by two hexadecimal digits.")]
    [InlineData("limit=5&x%20y=%C3%A9", 200, "")]
    public async Task QueryWithUndecodableEscapes_SignedByBotocore_IsBadRequestNamingTheParameter(string query, int status, string message)
    {
        const string script = """
            import sys, json, urllib.request, urllib.error
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            url, key, secret = sys.argv[1:4]
            request = AWSRequest(method="GET", url=url)
            SigV4Auth(Credentials(key, secret), "appmesh", "us-east-1").add_auth(request)
            prepared = request.prepare()
            try:
                with urllib.request.urlopen(urllib.request.Request(prepared.url, method="GET", headers=dict(prepared.headers))) as response:
                    print(json.dumps([response.status, "", ""]))
            except urllib.error.HTTPError as error:
                print(json.dumps([error.code, error.headers.get("x-amzn-ErrorType"), json.load(error).get("message")]))
            """;
        var url = api.BaseAddress.ToString().TrimEnd('/') + Paths.Meshes + "?" + query;
        var (exit, output) = await RunPythonAsync(script, url, api.AdminKey.AccessKeyId, api.AdminKey.SecretAccessKey);
        Assert.True(exit == 0, output);
        var answer = System.Text.Json.Nodes.JsonNode.Parse(output)!.AsArray();
        Assert.True(status == answer[0]!.GetValue<int>(), output);
        Assert.Equal(status == 200 ? "" : "BadRequestException", answer[1]!.GetValue<string>());
        Assert.StartsWith(message, answer[2]!.GetValue<string>());
    }

    private async Task<ApiResponse> SendSignedAsync(HttpMethod method, string path, string body, string? tamper)
    {
        var key = api.AdminKey;
        var at = tamper == "date" ? DateTimeOffset.UtcNow.AddMinutes(-20) : DateTimeOffset.UtcNow;
        var region = tamper == "region" ? "eu-west-1" : ApiServer.Region;
        var service = tamper == "service" ? "s3" : "appmesh";
        var secret = tamper == "secret" ? key.SecretAccessKey + "x" : key.SecretAccessKey;
        var keyId = tamper == "key" ? "MKIANOSUCHKEY0000000" : key.AccessKeyId;

        var request = new HttpRequestMessage(method, new Uri(api.BaseAddress, path));
        var bytes = Encoding.UTF8.GetBytes(body);
        SigV4Signer.Sign(request, bytes, keyId, secret, region, service, at);

        switch (tamper)
        {
            case "body":
                bytes = Encoding.UTF8.GetBytes(body.Replace("signed-mesh", "signed-mesi", StringComparison.Ordinal));
                break;
            case "query":
                request.RequestUri = new Uri(api.BaseAddress, path.Replace("limit=5", "limit=6", StringComparison.Ordinal));
                break;
            case "header":
                request.Headers.Remove("X-Amz-Date");
                request.Headers.Add("X-Amz-Date", at.AddSeconds(1).ToString(SigV4.DateFormat, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case "malformed":
                var header = request.Headers.GetValues("Authorization").Single();
                request.Headers.Remove("Authorization");
                request.Headers.TryAddWithoutValidation("Authorization", header[..header.IndexOf(", Signature=", StringComparison.Ordinal)]);
                break;
        }

        if (method != HttpMethod.Get)
        {
            request.Content = new ByteArrayContent(bytes);
        }

        using var client = new HttpClient();
        return await ApiServer.SendAsync(client, request);
    }

    private static async Task<(int Exit, string Output)> RunPythonAsync(string script, params string[] args)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
