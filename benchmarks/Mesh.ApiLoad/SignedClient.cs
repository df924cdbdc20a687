using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Security;

namespace Mesh.ApiLoad;

/// <summary>
/// One simulated API client: one HTTP/1.1 connection of its own (as one SDK client or one terraform worker
/// has), every request SigV4-signed as the SDKs sign it. One call at a time, as one connection carries one.
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

    // A successful answer's body is read to its end (every byte crosses the connection, as for an SDK) into this
    // buffer, which the client reuses: buffering it, then decoding it to a string that nothing reads (a list page is
    // 30 KB, 60 KB as a string) cost the load client CPU and GC on the cores the API is measured on.
    private readonly byte[] drain = new byte[64 * 1024];

    // The addresses this client has called, parsed once: a Describe cell calls the same 100 paths over and over, and a
    // Uri parsed per call (with the host, path and query texts the signer and the handler read from it) was the
    // client's CPU and garbage on the API's cores. Writes name a new node per call, so the map starts over when full.
    private readonly Dictionary<string, Uri> uris = new(StringComparer.Ordinal);
    private const int MaxUris = 1024;

    /// <summary>
    /// Sends one signed request. The body of a successful answer is kept (as <see cref="Answer.Body"/>) only when
    /// <paramref name="keepBody"/> asks for it; a failure's body is always kept, to report it. Unsigned
    /// (<paramref name="signed"/> false) only for what the API serves without a signature (/healthz).
    /// </summary>
    public Task<Answer> SendAsync(HttpMethod method, string path, JsonObject? body = null, bool keepBody = false, bool signed = true) =>
        SendAsync(method, path, body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body), keepBody, signed);

    /// <summary>
    /// As the other overload, with the JSON body given as its UTF-8 (null for none): the write cells write theirs
    /// straight to bytes (<see cref="NodeBodies"/>), the same bytes the other overload would send for the same object.
    /// </summary>
    public async Task<Answer> SendAsync(HttpMethod method, string path, byte[]? json, bool keepBody = false, bool signed = true)
    {
        var bytes = json ?? [];
        using var request = new HttpRequestMessage(method, UriOf(path));
        if (json is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new("application/json");
        }

        if (signed)
        {
            SigV4Signer.Sign(request, bytes, credentials.AccessKeyId, credentials.SecretAccessKey, signingKeys, DateTimeOffset.UtcNow);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var text = "";
            if (keepBody || response.StatusCode != HttpStatusCode.OK)
            {
                text = await response.Content.ReadAsStringAsync();
            }
            else
            {
                await using var stream = await response.Content.ReadAsStreamAsync();
                while (await stream.ReadAsync(drain) > 0)
                {
                }
            }

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

    private Uri UriOf(string path)
    {
        if (!uris.TryGetValue(path, out var uri))
        {
            if (uris.Count >= MaxUris)
            {
                uris.Clear();
            }

            uri = new Uri(api, path);
            uris[path] = uri;
        }

        return uri;
    }
}

internal sealed record Answer(int Status, string? ErrorType, TimeSpan Elapsed, string Body)
{
    public bool Ok => Status == (int)HttpStatusCode.OK;

    public string Outcome => Ok ? "200" : $"{Status} {ErrorType}";
}
