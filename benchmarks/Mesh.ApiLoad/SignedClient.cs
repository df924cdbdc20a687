using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Mesh.Security;

namespace Mesh.ApiLoad;

/// <summary>
/// One simulated API client: one HTTP/1.1 connection of its own (as one SDK client or one terraform worker
/// has), every request SigV4-signed as the SDKs sign it.
/// </summary>
internal sealed class SignedClient(Uri api, Credentials credentials, string region) : IDisposable
{
    private readonly HttpClient http = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 1,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseCookies = false,
    })
    {
        BaseAddress = api,
        Timeout = TimeSpan.FromSeconds(60),
    };

    // The load client shares the machine's cores with the API it measures: deriving the signing key (four HMACs) once
    // a day rather than per request leaves them to the API, as an SDK's own key caching would.
    private readonly SigningKeyCache signingKeys = new(region, "appmesh");

    public async Task<Answer> SendAsync(HttpMethod method, string path, JsonObject? body = null)
    {
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body.ToJsonString());
        using var request = new HttpRequestMessage(method, new Uri(api, path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new("application/json");
        }

        SigV4Signer.Sign(request, bytes, credentials.AccessKeyId, credentials.SecretAccessKey, signingKeys, DateTimeOffset.UtcNow);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var error = response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.First() : null;
            return new Answer((int)response.StatusCode, error, Stopwatch.GetElapsedTime(started), text);
        }
        catch (HttpRequestException failure)
        {
            // A broken or refused connection is an outcome to count, not a reason to stop the run.
            return new Answer(0, failure.HttpRequestError.ToString(), Stopwatch.GetElapsedTime(started), "");
        }
    }

    public void Dispose() => http.Dispose();
}

internal sealed record Answer(int Status, string? ErrorType, TimeSpan Elapsed, string Body)
{
    public bool Ok => Status == (int)HttpStatusCode.OK;

    public string Outcome => Ok ? "200" : $"{Status} {ErrorType}";
}
