namespace Mesh.Security;

/// <summary>
/// A parsed "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…" Authorization header.
/// </summary>
public sealed record SigV4Authorization(
    string AccessKeyId,
    string Date,
    string Region,
    string Service,
    string Terminator,
    IReadOnlyList<string> SignedHeaders,
    string Signature)
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    public string Scope => $"{Date}/{Region}/{Service}/{Terminator}";

    /// <summary>Parses the header; on failure, says which part is missing or malformed.</summary>
    public static SigV4Authorization? TryParse(string header, out string? problem)
    {
        problem = null;
        if (!header.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            problem = $"Authorization header requires the {Algorithm} algorithm.";
            return null;
        }

        // Comma-separated name=value parameters, each trimmed; the first of a name counts and unknown names are ignored.
        // Parsed in place: this runs on every API call.
        string? credentialText = null, signedHeadersText = null, signature = null;
        var rest = header.AsSpan(Algorithm.Length + 1);
        foreach (var range in rest.Split(','))
        {
            var part = rest[range].Trim();
            var equals = part.IndexOf('=');
            if (equals < 0)
            {
                continue;
            }

            var name = part[..equals];
            var value = part[(equals + 1)..];
            if (name.SequenceEqual("Credential"))
            {
                credentialText ??= value.ToString();
            }
            else if (name.SequenceEqual("SignedHeaders"))
            {
                signedHeadersText ??= value.ToString();
            }
            else if (name.SequenceEqual("Signature"))
            {
                signature ??= value.ToString();
            }
        }

        var missing = credentialText is null ? "Credential" : signedHeadersText is null ? "SignedHeaders" : signature is null ? "Signature" : null;
        if (missing is not null)
        {
            problem = $"Authorization header requires '{missing}' parameter.";
            return null;
        }

        var credential = credentialText!.Split('/');
        if (credential.Length != 5 || Array.Exists(credential, c => c.Length == 0))
        {
            problem = "Credential must have the form <access key>/<yyyyMMdd>/<region>/<service>/aws4_request.";
            return null;
        }

        var signedHeaders = signedHeadersText!.Split(';');
        if (Array.Exists(signedHeaders, h => h.Length == 0 || h != h.ToLowerInvariant()))
        {
            problem = "SignedHeaders must be lower-case header names separated by ';'.";
            return null;
        }

        return new SigV4Authorization(credential[0], credential[1], credential[2], credential[3], credential[4], signedHeaders, signature!);
    }
}
