using Mesh.Api.Observability;
using Mesh.Api.Protocol;
using Mesh.Model.Wire;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Recognises a Cloud Map (servicediscovery 2017-03-14, awsJson1.1) request: <c>POST /</c> whose X-Amz-Target
/// names an operation of the Route53AutoNaming_v20170314 target prefix. The App Mesh API lives under
/// <c>/v20190125</c>, so the two share the API port without overlapping.
/// </summary>
public static class CloudMapRequest
{
    public const string TargetPrefix = "Route53AutoNaming_v20170314.";

    /// <summary>The SigV4 service name the SDKs sign Cloud Map calls with.</summary>
    public const string SigningName = "servicediscovery";

    /// <summary>The IAM service prefix of Cloud Map actions in key policies and the audit log.</summary>
    public const string ActionService = "servicediscovery";

    public const string ContentType = "application/x-amz-json-1.1";

    public static bool Is(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && request.Path is { Value: "/" or "" }
        && request.Headers["X-Amz-Target"].ToString().StartsWith(TargetPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Whether <paramref name="operation"/> only reads (Get*, List*, Discover*): it changes nothing, has no audit record
    /// of its own, and a deadline that passes while it runs leaves nothing applied.
    /// </summary>
    public static bool IsRead(string operation) =>
        operation.StartsWith("Get", StringComparison.Ordinal) || operation.StartsWith("List", StringComparison.Ordinal)
        || operation.StartsWith("Discover", StringComparison.Ordinal);

    /// <summary>The operation the X-Amz-Target names, e.g. RegisterInstance (not checked against the model here).</summary>
    public static string OperationName(HttpRequest request) =>
        request.Headers["X-Amz-Target"].ToString()[TargetPrefix.Length..];

    /// <summary>
    /// Whether the X-Amz-Target's operation has a character outside ASCII, which no operation's name has. Its signature
    /// cannot decide such a call: the signers fold non-ASCII whitespace in a signed header differently (botocore signs
    /// U+00A0 and U+0085 as a space, the verifier keeps them, as other SDKs do), so a call signed by the right key could
    /// be refused as InvalidSignature for what is only an operation name that does not exist.
    /// </summary>
    public static bool NamesNonAsciiOperation(HttpRequest request) =>
        !System.Text.Ascii.IsValid(OperationName(request));

    /// <summary>
    /// The operation as a metric's label, its action (servicediscovery:RegisterInstance) when the model has it, else
    /// servicediscovery:UnknownOperation. The header is the caller's text, and a label for each text sent would grow
    /// the metrics without bound.
    /// </summary>
    public static string MetricAction(string operation) => ApiCall.ActionOf(
        ServiceModel.CloudMap.OperationsByName.ContainsKey(operation) ? operation : ApiMetrics.UnknownOperation, ActionService);
}
