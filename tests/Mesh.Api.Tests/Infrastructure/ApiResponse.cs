using System.Text.Json.Nodes;

namespace Mesh.Api.Tests.Infrastructure;

public sealed record ApiResponse(int Status, string? ErrorType, string? RequestId, JsonNode? Body)
{
    public string Message => Body?["message"]?.GetValue<string>() ?? "";

    public ApiResponse AssertOk()
    {
        Assert.True(Status == 200, $"Expected 200 but got {Status} {ErrorType}: {Body?.ToJsonString()}");
        return this;
    }

    public ApiResponse AssertError(int status, string errorType)
    {
        Assert.True(Status == status && ErrorType == errorType,
            $"Expected {status} {errorType} but got {Status} {ErrorType}: {Body?.ToJsonString()}");
        return this;
    }
}
