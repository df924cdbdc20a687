namespace Mesh.Security;

/// <summary>
/// A request that failed authentication. <see cref="Code"/> is the error code AWS services answer with
/// (the SDKs recognise them); each host maps it to its protocol (an HTTP status, a gRPC status).
/// </summary>
public sealed class AuthFailure(string code, string message) : Exception(message)
{
    public const string MissingToken = "MissingAuthenticationTokenException";
    public const string IncompleteSignature = "IncompleteSignatureException";
    public const string UnrecognizedClient = "UnrecognizedClientException";
    public const string InvalidSignature = "InvalidSignatureException";

    public string Code { get; } = code;

    /// <summary>The HTTP status AWS gives each code: 400 for a malformed header, 403 otherwise.</summary>
    public int HttpStatus => Code == IncompleteSignature ? 400 : 403;
}
