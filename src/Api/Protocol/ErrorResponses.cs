using System.Text.Json;

namespace Mesh.Api.Protocol;

/// <summary>
/// Writes errors the way the AWS SDKs parse them: for rest-json (App Mesh) the x-amzn-ErrorType header names the
/// code; for awsJson1.1 (Cloud Map) the body's <c>__type</c> does too, next to the error shape's members.
/// </summary>
public static class ErrorResponses
{
    public static async Task WriteAsync(HttpContext context, ErrorCode code, string message, IReadOnlyDictionary<string, string>? fields = null)
    {
        var response = context.Response;
        var awsJson = CloudMap.CloudMapRequest.Is(context.Request);
        response.StatusCode = code.StatusCode;
        response.Headers["x-amzn-ErrorType"] = code.Name;
        response.ContentType = awsJson ? CloudMap.CloudMapRequest.ContentType : "application/json";
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        if (awsJson)
        {
            writer.WriteString("__type", code.Name);
        }

        writer.WriteString("message", message);
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}
