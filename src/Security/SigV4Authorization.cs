using System.Collections.Concurrent;

namespace Mesh.Security;

/// <summary>
/// A parsed "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…" Authorization header.
/// </summary>
/// <remarks>
/// A client sends the same Credential (its key, today's date, the region and service) and the same SignedHeaders on
/// every call; only the signature changes. So the parsed forms of those two parameters are kept by their text
/// (<see cref="ParsedTexts{T}"/>) and a call looks them up from the header's characters without making strings of
/// them: parsing every call's header into nine strings, two arrays and the scope's text was about 0.8 KB of a
/// Describe's 9 KB of allocations (issue14z). Only the signature is a new string per call.
/// </remarks>
public sealed class SigV4Authorization
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    private static readonly ParsedTexts<CredentialScope> Credentials = new(MaxCachedTextLength);
    private static readonly ParsedTexts<string[]> SignedHeaderLists = new(MaxCachedTextLength);

    /// <summary>Longer parameter texts are parsed on every call instead of kept (they are no client's usual form).</summary>
    private const int MaxCachedTextLength = 512;

    private readonly CredentialScope credential;

    private SigV4Authorization(CredentialScope credential, IReadOnlyList<string> signedHeaders, string signature)
    {
        this.credential = credential;
        SignedHeaders = signedHeaders;
        Signature = signature;
    }

    public string AccessKeyId => credential.AccessKeyId;

    public string Date => credential.Date;

    public string Region => credential.Region;

    public string Service => credential.Service;

    public string Terminator => credential.Terminator;

    /// <summary>The lower-case header names the request signed, in the header's order; the list must not be changed.</summary>
    public IReadOnlyList<string> SignedHeaders { get; }

    public string Signature { get; }

    /// <summary>"date/region/service/terminator".</summary>
    public string Scope => credential.Scope;

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
        ReadOnlySpan<char> credentialText = default, signedHeadersText = default;
        bool hasCredential = false, hasSignedHeaders = false;
        string? signature = null;
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
            if (!hasCredential && name.SequenceEqual("Credential"))
            {
                credentialText = value;
                hasCredential = true;
            }
            else if (!hasSignedHeaders && name.SequenceEqual("SignedHeaders"))
            {
                signedHeadersText = value;
                hasSignedHeaders = true;
            }
            else if (name.SequenceEqual("Signature"))
            {
                signature ??= value.ToString();
            }
        }

        var missing = !hasCredential ? "Credential" : !hasSignedHeaders ? "SignedHeaders" : signature is null ? "Signature" : null;
        if (missing is not null)
        {
            problem = $"Authorization header requires '{missing}' parameter.";
            return null;
        }

        var credential = Credentials.Get(credentialText, CredentialScope.TryParse);
        if (credential is null)
        {
            problem = "Credential must have the form <access key>/<yyyyMMdd>/<region>/<service>/aws4_request.";
            return null;
        }

        var signedHeaders = SignedHeaderLists.Get(signedHeadersText, ParseSignedHeaders);
        if (signedHeaders is null)
        {
            problem = "SignedHeaders must be lower-case header names separated by ';'.";
            return null;
        }

        return new SigV4Authorization(credential, signedHeaders, signature!);
    }

    private static string[]? ParseSignedHeaders(string text)
    {
        var signedHeaders = text.Split(';');
        return Array.Exists(signedHeaders, h => h.Length == 0 || h != h.ToLowerInvariant()) ? null : signedHeaders;
    }

    /// <summary>The Credential parameter's five parts, and the scope the signature covers.</summary>
    private sealed class CredentialScope(string accessKeyId, string date, string region, string service, string terminator)
    {
        public string AccessKeyId => accessKeyId;

        public string Date => date;

        public string Region => region;

        public string Service => service;

        public string Terminator => terminator;

        public string Scope { get; } = $"{date}/{region}/{service}/{terminator}";

        public static CredentialScope? TryParse(string text)
        {
            var parts = text.Split('/');
            return parts.Length != 5 || Array.Exists(parts, c => c.Length == 0)
                ? null
                : new CredentialScope(parts[0], parts[1], parts[2], parts[3], parts[4]);
        }
    }
}

/// <summary>
/// What a header parameter's text parses to, kept by that text and found from its characters, so that a text seen
/// before costs no string. Only texts that parse are kept (a refused header is parsed again on every call, as before);
/// the texts are the caller's, sent before it is authenticated, so there are at most <see cref="Capacity"/> of them,
/// each at most the length given, and past the capacity the cache starts over.
/// </summary>
internal sealed class ParsedTexts<T>(int maxLength) where T : class
{
    public const int Capacity = 1024;

    private readonly ConcurrentDictionary<string, T> parsed = new(StringComparer.Ordinal);

    public int Count => parsed.Count;

    /// <summary>What <paramref name="text"/> parses to by <paramref name="parse"/>, or null when it does not parse.</summary>
    public T? Get(ReadOnlySpan<char> text, Func<string, T?> parse)
    {
        if (parsed.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out var value))
        {
            return value;
        }

        var key = text.ToString();
        value = parse(key);
        if (value is not null && key.Length <= maxLength)
        {
            if (parsed.Count >= Capacity)
            {
                parsed.Clear();
            }

            parsed[key] = value;
        }

        return value;
    }
}
