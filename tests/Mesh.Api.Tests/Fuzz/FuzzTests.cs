using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Model.Wire;
using Xunit.Abstractions;

namespace Mesh.Api.Tests.Fuzz;

/// <summary>
/// Thousands of invalid requests generated from the model (see <see cref="RequestGenerator"/>) against a
/// mesh where every URI label names a resource that exists. None may crash the API (no 5xx), every
/// one must be refused with one of its operation's model errors and a message, and none may write.
/// </summary>
public sealed class FuzzTests(ApiServer api, ITestOutputHelper output) : IClassFixture<ApiServer>
{
    private const int Seed = 20190125;
    private const int RequestCount = 10_000;

    [Fact]
    public async Task InvalidRequestsFromTheModel_AreRefusedWithModelErrors_AndWriteNothing()
    {
        await SeedAsync();
        var before = await DatabaseSnapshot.TakeAsync(api.ConnectionString);
        var model = ServiceModel.AppMesh;

        var failures = new List<string>();
        var categories = new Dictionary<string, int>();
        var operations = new Dictionary<string, int>();
        var codes = new Dictionary<string, int>();
        foreach (var request in new RequestGenerator(model, Seed).Generate(RequestCount))
        {
            categories[request.Category] = categories.GetValueOrDefault(request.Category) + 1;
            operations[request.Operation] = operations.GetValueOrDefault(request.Operation) + 1;

            var (status, errorType, message) = await SendAsync(request);
            codes[$"{status} {errorType}"] = codes.GetValueOrDefault($"{status} {errorType}") + 1;
            var allowed = model.OperationsByName[request.Operation].Errors;
            if (status is < 400 or >= 500)
            {
                failures.Add($"{request}\n    -> {status} {errorType}: {message}");
            }
            else if (errorType is null || !allowed.Contains(errorType))
            {
                failures.Add($"{request}\n    -> {status} with x-amzn-ErrorType '{errorType}', not one of {request.Operation}'s errors ({string.Join(", ", allowed)}): {message}");
            }
            else if (string.IsNullOrWhiteSpace(message))
            {
                failures.Add($"{request}\n    -> {status} {errorType} without a message");
            }
        }

        output.WriteLine($"{RequestCount} requests, seed {Seed}");
        output.WriteLine("defects: " + string.Join(", ", categories.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}")));
        output.WriteLine("answers: " + string.Join(", ", codes.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}")));
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {RequestCount} invalid requests were not refused properly (seed {Seed}):\n{string.Join("\n", failures.Take(25))}");

        DatabaseSnapshot.AssertUnchanged(before, await DatabaseSnapshot.TakeAsync(api.ConnectionString));

        // The generator did what it claims: every operation and every kind of defect, many times over.
        Assert.Equal(model.Operations.Count, operations.Count);
        Assert.All(operations, o => Assert.True(o.Value >= 25, $"{o.Key} got only {o.Value} requests"));
        Assert.All(RequestGenerator.Categories, c => Assert.True(categories.GetValueOrDefault(c) >= 10, $"category '{c}' got only {categories.GetValueOrDefault(c)} requests"));
        Assert.True(codes.Keys.Count(k => k.StartsWith("400 ", StringComparison.Ordinal)) >= 1 && codes.Keys.Any(k => k.StartsWith("404 ", StringComparison.Ordinal)),
            $"Expected both BadRequest and NotFound among the answers: {string.Join(", ", codes.Select(c => $"{c.Key}={c.Value}"))}");
    }

    [Fact]
    public void Generator_IsDeterministic()
    {
        var first = new RequestGenerator(ServiceModel.AppMesh, Seed).Generate(200).Select(r => r.ToString()).ToList();
        var second = new RequestGenerator(ServiceModel.AppMesh, Seed).Generate(200).Select(r => r.ToString()).ToList();
        Assert.Equal(first, second);
    }

    private async Task<(int Status, string? ErrorType, string? Message)> SendAsync(FuzzRequest request)
    {
        using var message = new HttpRequestMessage(request.Method, request.PathAndQuery);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            // As the SDKs do for large bodies: the API can refuse one over its limit before it is sent,
            // instead of closing the connection under a client that is still writing it.
            message.Headers.ExpectContinue = request.Body.Length > 64 * 1024;
        }

        using var response = await SendRetryingThrottledAsync(message);
        var text = await response.Content.ReadAsStringAsync();
        var errorType = response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.Single() : null;
        string? error;
        try
        {
            error = JsonNode.Parse(text)?["message"]?.GetValue<string>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            error = null;
        }

        return ((int)response.StatusCode, errorType, error);
    }

    /// <summary>
    /// Sends the request; while the API throttles it (TooManyRequests, which says nothing about the
    /// request), waits as Retry-After says and sends it again, as the SDKs do.
    /// </summary>
    private async Task<HttpResponseMessage> SendRetryingThrottledAsync(HttpRequestMessage message)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await api.Client.SendAsync(await CloneAsync(message));
            if ((int)response.StatusCode != 429 || attempt == 20)
            {
                return response;
            }

            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait);
        }
    }

    private static async Task<HttpRequestMessage> CloneAsync(HttpRequestMessage message)
    {
        var clone = new HttpRequestMessage(message.Method, message.RequestUri);
        if (message.Content is not null)
        {
            clone.Content = new ByteArrayContent(await message.Content.ReadAsByteArrayAsync());
            clone.Content.Headers.ContentType = message.Content.Headers.ContentType;
        }

        clone.Headers.ExpectContinue = message.Headers.ExpectContinue;
        return clone;
    }

    /// <summary>One resource of every kind, named as <see cref="RequestGenerator.ExistingNames"/> says.</summary>
    private async Task SeedAsync()
    {
        var mesh = await MeshBuilder.CreateAsync(api, RequestGenerator.Mesh);
        await mesh.NodeAsync("n");
        await mesh.RouterAsync("r");
        await mesh.RouteAsync("r", "rt", Specs.HttpRoute(("n", 100)));
        await mesh.ServiceAsync("s.local", Specs.ServiceByNode("n"));
        await mesh.GatewayAsync("g");
        await mesh.GatewayRouteAsync("g", "gr", Specs.GatewayRoute("s.local"));
    }
}
