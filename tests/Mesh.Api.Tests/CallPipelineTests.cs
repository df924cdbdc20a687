using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

/// <summary>
/// What the middleware around every call gives each answer, in its order (<c>ErrorHandlingMiddleware</c>, which took in
/// the request id's and the bare error answer's middlewares): a request id on every answer, refused or not, one per
/// call; authentication before the bare error's body (an unsigned call to a path no operation is bound to is refused,
/// not answered 404); the bare error's AWS-style body on paths outside the API too.
/// </summary>
public sealed class CallPipelineTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task EveryAnswer_CarriesItsOwnRequestId_AcceptedRefusedOrUnbound()
    {
        using var unsigned = new HttpClient { BaseAddress = api.BaseAddress };
        var answers = new[]
        {
            (await api.SendAsync(HttpMethod.Get, Paths.Meshes)).AssertOk(),
            (await api.SendAsync(HttpMethod.Get, Paths.Mesh("no-such-mesh"))).AssertError(404, "NotFoundException"),
            (await api.SendAsync(HttpMethod.Get, "/v20190125/no-such-collection/x")).AssertError(404, "UnknownOperationException"),
            (await ApiServer.SendAsync(unsigned, new HttpRequestMessage(HttpMethod.Get, Paths.Meshes))).AssertError(403, "MissingAuthenticationTokenException"),
        };

        Assert.All(answers, answer => Assert.True(Guid.TryParse(answer.RequestId, out _), $"request id '{answer.RequestId}'"));
        Assert.Equal(answers.Length, answers.Select(answer => answer.RequestId).Distinct().Count());
    }

    [Fact]
    public async Task UnsignedCall_ToAnUnboundApiPath_IsRefusedByAuthentication_NotAnsweredUnbound()
    {
        using var unsigned = new HttpClient { BaseAddress = api.BaseAddress };
        var response = await ApiServer.SendAsync(unsigned, new HttpRequestMessage(HttpMethod.Get, "/v20190125/no-such-collection/x"));
        response.AssertError(403, "MissingAuthenticationTokenException");
        Assert.NotNull(response.RequestId);
    }

    [Fact]
    public async Task UnboundPath_OutsideTheApi_IsAnAwsStyleNotFound_WithARequestId()
    {
        using var unsigned = new HttpClient { BaseAddress = api.BaseAddress };
        var response = await ApiServer.SendAsync(unsigned, new HttpRequestMessage(HttpMethod.Get, "/no-such-page"));
        response.AssertError(404, "UnknownOperationException");
        Assert.Contains("No App Mesh operation is bound to GET /no-such-page", response.Message);
        Assert.NotNull(response.RequestId);
    }

    [Fact]
    public async Task Health_IsAnsweredAsBefore_WithARequestId()
    {
        using var unsigned = new HttpClient { BaseAddress = api.BaseAddress };
        using var response = await unsigned.GetAsync("/healthz");
        Assert.True(response.IsSuccessStatusCode);
        Assert.True(Guid.TryParse(response.Headers.GetValues("x-amzn-RequestId").Single(), out _));
    }
}
