using System.Text.Json;

namespace Mesh.Api.Protocol;

/// <summary>Writes errors the way the AWS SDKs parse rest-json errors: the x-amzn-ErrorType header names the code.</summary>
public static class ErrorResponses
{
    public static async Task WriteAsync(HttpContext context, ErrorCode code, string message)
    {
        var response = context.Response;
        response.StatusCode = code.StatusCode;
        response.Headers["x-amzn-ErrorType"] = code.Name;
        response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("message", message);
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}
