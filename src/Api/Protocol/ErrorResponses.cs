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
        var errorType = awsJson ? CloudMapCodes.GetValueOrDefault(code.Name, code.Name) : code.Name;
        response.StatusCode = code.StatusCode;
        response.Headers["x-amzn-ErrorType"] = errorType;
        response.ContentType = awsJson ? CloudMap.CloudMapRequest.ContentType : "application/json";
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        if (awsJson)
        {
            writer.WriteString("__type", errorType);
        }

        writer.WriteString("message", message);
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// The Cloud Map model's own errors for the refusals every API here shares and Cloud Map names otherwise: code that
    /// catches what the model declares (RequestLimitExceeded on DiscoverInstances, InvalidInput) must see those names.
    /// </summary>
    private static readonly Dictionary<string, string> CloudMapCodes = new(StringComparer.Ordinal)
    {
        ["TooManyRequestsException"] = "RequestLimitExceeded",
        ["BadRequestException"] = "InvalidInput",
    };

    /// <summary>The codes STS itself answers with for the refusals every API here shares.</summary>
    private static readonly Dictionary<string, string> StsCodes = new(StringComparer.Ordinal)
    {
        ["InvalidSignatureException"] = "SignatureDoesNotMatch",
        ["UnrecognizedClientException"] = "InvalidClientTokenId",
        ["MissingAuthenticationTokenException"] = "MissingAuthenticationToken",
        ["IncompleteSignatureException"] = "IncompleteSignature",
        ["TooManyRequestsException"] = "Throttling",
        ["BadRequestException"] = "InvalidParameterValue",
        ["InternalServerErrorException"] = "InternalFailure",
        ["ServiceUnavailableException"] = "ServiceUnavailable",
    };

    /// <summary>The Query protocol's (STS's) error document, whose Code the SDKs read; Sender for a 4xx, Receiver for a 5xx.</summary>
    private static async Task WriteQueryErrorAsync(HttpContext context, ErrorCode code, string message)
    {
        var response = context.Response;
        response.StatusCode = code.StatusCode;
        response.ContentType = "text/xml";
        await using var writer = Sts.StsRequest.XmlWriterFor(response.Body);
        await writer.WriteStartElementAsync(null, "ErrorResponse", Sts.StsRequest.XmlNamespace);
        await writer.WriteStartElementAsync(null, "Error", Sts.StsRequest.XmlNamespace);
        await writer.WriteElementStringAsync(null, "Type", Sts.StsRequest.XmlNamespace, code.StatusCode >= 500 ? "Receiver" : "Sender");
        await writer.WriteElementStringAsync(null, "Code", Sts.StsRequest.XmlNamespace, StsCodes.GetValueOrDefault(code.Name, code.Name));
        await writer.WriteElementStringAsync(null, "Message", Sts.StsRequest.XmlNamespace, XmlSafe(message));
        await writer.WriteEndElementAsync();
        await writer.WriteElementStringAsync(null, "RequestId", Sts.StsRequest.XmlNamespace, context.TraceIdentifier);
        await writer.WriteEndElementAsync();
        await writer.FlushAsync();
    }

    /// <summary>
    /// <paramref name="text"/> with every character XML 1.0 cannot carry (controls, U+FFFE/U+FFFF, a lone surrogate:
    /// a message may quote the caller's form) as U+FFFD, which the writer would otherwise refuse mid-document.
    /// </summary>
    private static string XmlSafe(string text)
    {
        System.Text.StringBuilder? safe = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < text.Length && System.Xml.XmlConvert.IsXmlSurrogatePair(text[i + 1], c);
            if (pair || System.Xml.XmlConvert.IsXmlChar(c))
            {
                safe?.Append(c);
                if (pair)
                {
                    safe?.Append(text[++i]);
                }

                continue;
            }

            safe ??= new System.Text.StringBuilder(text, 0, i, text.Length);
            safe.Append('\uFFFD');
        }

        return safe?.ToString() ?? text;
    }
}
