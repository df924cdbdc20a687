using System.Text.Json;

namespace Mesh.Api.Protocol;

/// <summary>
/// Writes errors the way the AWS SDKs parse them: for rest-json (App Mesh) the x-amzn-ErrorType header names the
/// code; for awsJson1.1 (Cloud Map) the body's <c>__type</c> does too, next to the error shape's members; for the
/// Query protocol (STS) an XML ErrorResponse carries it.
/// </summary>
public static class ErrorResponses
{
    public static async Task WriteAsync(HttpContext context, ErrorCode code, string message, IReadOnlyDictionary<string, string>? fields = null)
    {
        if (Sts.StsRequest.Is(context.Request))
        {
            await WriteQueryErrorAsync(context, code, message);
            return;
        }

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

    /// <summary>The Query protocol's (STS's) error document, whose Code the SDKs read; Sender for a 4xx, Receiver for a 5xx.</summary>
    private static async Task WriteQueryErrorAsync(HttpContext context, ErrorCode code, string message)
    {
        var response = context.Response;
        response.StatusCode = code.StatusCode;
        response.ContentType = "text/xml";
        await using var writer = System.Xml.XmlWriter.Create(response.Body, new System.Xml.XmlWriterSettings { Async = true, Encoding = new System.Text.UTF8Encoding(false) });
        await writer.WriteStartElementAsync(null, "ErrorResponse", Sts.StsRequest.XmlNamespace);
        await writer.WriteStartElementAsync(null, "Error", Sts.StsRequest.XmlNamespace);
        await writer.WriteElementStringAsync(null, "Type", Sts.StsRequest.XmlNamespace, code.StatusCode >= 500 ? "Receiver" : "Sender");
        await writer.WriteElementStringAsync(null, "Code", Sts.StsRequest.XmlNamespace, code.Name);
        await writer.WriteElementStringAsync(null, "Message", Sts.StsRequest.XmlNamespace, message);
        await writer.WriteEndElementAsync();
        await writer.WriteElementStringAsync(null, "RequestId", Sts.StsRequest.XmlNamespace, context.TraceIdentifier);
        await writer.WriteEndElementAsync();
        await writer.FlushAsync();
    }
}
