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

    public static bool Is(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && request.Path is { Value: "/" or "" }
        && !request.Headers.ContainsKey("X-Amz-Target")
        && request.ContentType is { } type
        && type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The Action a request's form names, read from the body SigV4 already buffered (<see cref="Protocol.RequestBody"/>);
    /// null when the body was not read (a refusal before it was) or names none.
    /// </summary>
    public static string? ActionOf(HttpContext context) =>
        context.Features.Get<Protocol.RequestBody>() is { } body
        && Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(System.Text.Encoding.UTF8.GetString(body.Span)).TryGetValue("Action", out var action)
            ? action.ToString()
            : null;

    /// <summary>
    /// An action's name as a metric label and in the audit log: sts:GetCallerIdentity, else sts:UnknownOperation (the
    /// body is the caller's text, and a label for each would grow the metrics without bound).
    /// </summary>
    public static string MetricAction(string? action) => $"{SigningName}:{(action == GetCallerIdentity ? action : Observability.ApiMetrics.UnknownOperation)}";
}
