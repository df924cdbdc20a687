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

        var parts = header[(Algorithm.Length + 1)..]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);

        foreach (var required in new[] { "Credential", "SignedHeaders", "Signature" })
        {
            if (!parts.ContainsKey(required))
            {
                problem = $"Authorization header requires '{required}' parameter.";
                return null;
            }
        }

        var credential = parts["Credential"].Split('/');
        if (credential.Length != 5 || credential.Any(c => c.Length == 0))
        {
            problem = "Credential must have the form <access key>/<yyyyMMdd>/<region>/<service>/aws4_request.";
            return null;
        }

        var signedHeaders = parts["SignedHeaders"].Split(';');
        if (signedHeaders.Any(h => h.Length == 0 || h != h.ToLowerInvariant()))
        {
            problem = "SignedHeaders must be lower-case header names separated by ';'.";
            return null;
        }

        return new SigV4Authorization(credential[0], credential[1], credential[2], credential[3], credential[4], signedHeaders, parts["Signature"]);
    }
}
