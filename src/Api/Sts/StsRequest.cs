namespace Mesh.Api.Sts;

/// <summary>
/// Recognises an AWS STS call (the Query protocol, 2011-06-15): <c>POST /</c> with a form-encoded body and no
/// X-Amz-Target, which is how every SDK sends STS. Mesh answers one STS action, GetCallerIdentity, so that tools which
/// ask it who their credentials belong to (Terraform's AWS provider checks its credentials and learns its account this
/// way) can be pointed at Mesh instead of being told to skip the question.
/// </summary>
public static class StsRequest
{
    /// <summary>The SigV4 service name the SDKs sign STS calls with.</summary>
    public const string SigningName = "sts";

    public const string Version = "2011-06-15";

    /// <summary>The namespace of every STS response and error document.</summary>
    public const string XmlNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";

    public const string GetCallerIdentity = "GetCallerIdentity";

    /// <summary>A writer of an STS response or error document to <paramref name="body"/> (UTF-8, no byte order mark).</summary>
    public static System.Xml.XmlWriter XmlWriterFor(Stream body) =>
        System.Xml.XmlWriter.Create(body, new System.Xml.XmlWriterSettings { Async = true, Encoding = new System.Text.UTF8Encoding(false) });

    public static bool Is(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && request.Path is { Value: "/" or "" }
        && !request.Headers.ContainsKey("X-Amz-Target")
        && request.ContentType is { } type
        && type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The Action a refused request's form names, from the body SigV4 buffered (<see cref="Protocol.RequestBody"/>):
    /// only the first Action of a small form is looked for (a GetCallerIdentity form is under 100 bytes, and a refused
    /// caller's megabyte is not parsed). Without a buffered body (refused before it was read: rate-limited with
    /// authentication off), the one action served.
    /// </summary>
    public static string? ActionOf(HttpContext context)
    {
        if (context.Features.Get<Protocol.RequestBody>() is not { } body)
        {
            return GetCallerIdentity;
        }

        if (body.Length > 4096)
        {
            return null;
        }

        foreach (var pair in new Microsoft.AspNetCore.WebUtilities.QueryStringEnumerable(System.Text.Encoding.UTF8.GetString(body.Span)))
        {
            if (pair.DecodeName().Span.Equals("Action", StringComparison.OrdinalIgnoreCase))
            {
                return pair.DecodeValue().ToString();
            }
        }

        return null;
    }

    /// <summary>
    /// An action's name as a metric label and in the audit log: sts:GetCallerIdentity, else sts:UnknownOperation (the
    /// body is the caller's text, and a label for each would grow the metrics without bound).
    /// </summary>
    public static string MetricAction(string? action) => $"{SigningName}:{(action == GetCallerIdentity ? action : Observability.ApiMetrics.UnknownOperation)}";
}
