using Mesh.Api.Protocol;

namespace Mesh.Api.Security;

/// <summary>The authentication errors AWS services answer with, which the SDKs recognise by code.</summary>
public static class AuthFailure
{
    public static readonly ErrorCode MissingToken = new("MissingAuthenticationTokenException", 403);
    public static readonly ErrorCode IncompleteSignature = new("IncompleteSignatureException", 400);
    public static readonly ErrorCode UnrecognizedClient = new("UnrecognizedClientException", 403);
    public static readonly ErrorCode InvalidSignature = new("InvalidSignatureException", 403);
}
