using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Mesh.Security;

/// <summary>
/// The Signature Version 4 computation, per AWS's specification: canonical request, string to sign,
/// derived signing key and signature. Used by the verifier; it signs nothing on its own.
/// </summary>
public static class SigV4
{
    public const string DateFormat = "yyyyMMdd'T'HHmmss'Z'";

    private static readonly System.Buffers.SearchValues<char> Unreserved =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~");

    public static string CanonicalRequest(SignedRequest request, IReadOnlyList<string> signedHeaders)
    {
        var builder = new StringBuilder();
        builder.Append(request.Method).Append('\n');
        builder.Append(CanonicalUri(request.RawPath)).Append('\n');
        builder.Append(CanonicalQuery(request.RawQuery)).Append('\n');
        foreach (var name in signedHeaders)
        {
            builder.Append(name).Append(':').Append(CanonicalHeaderValue(request, name)).Append('\n');
        }

        builder.Append('\n');
        builder.Append(string.Join(';', signedHeaders)).Append('\n');
        builder.Append(request.PayloadHash);
        return builder.ToString();
    }

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{SigV4Authorization.Algorithm}\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        return Hmac(key, "aws4_request");
    }

    public static string Signature(byte[] signingKey, string stringToSign) => Hex(Hmac(signingKey, stringToSign));

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>
    /// For every service but S3, the path is normalised and each segment encoded once more on top of
    /// the encoding it already has on the wire.
    /// </summary>
    private static string CanonicalUri(string rawPath)
    {
        if (rawPath.Length == 0)
        {
            return "/";
        }

        if (IsCanonicalPath(rawPath))
        {
            // What SDKs send for App Mesh: names of unreserved characters, nothing to normalise or encode.
            return rawPath;
        }

        var segments = new List<string>();
        foreach (var segment in rawPath.Split('/'))
        {
            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }
            }
            else if (segment.Length > 0 && segment != ".")
            {
                segments.Add(segment);
            }
        }

        var normalized = "/" + string.Join('/', segments.Select(Encode));
        return rawPath.EndsWith('/') && segments.Count > 0 ? normalized + "/" : normalized;
    }

    /// <summary>
    /// True when normalising and encoding would give the path back unchanged: it starts with '/', holds only
    /// unreserved characters and '/', and has no empty, "." or ".." segment (a trailing '/' is kept either way).
    /// </summary>
    private static bool IsCanonicalPath(string rawPath)
    {
        if (rawPath == "/")
        {
            return true;
        }

        if (rawPath[0] != '/')
        {
            return false;
        }

        var rest = rawPath.AsSpan(1);
        if (rest.EndsWith('/'))
        {
            rest = rest[..^1];
        }

        while (true)
        {
            var end = rest.IndexOf('/');
            var segment = end < 0 ? rest : rest[..end];
            if (segment.IsEmpty || segment is "." or ".." || segment.ContainsAnyExcept(Unreserved))
            {
                return false;
            }

            if (end < 0)
            {
                return true;
            }

            rest = rest[(end + 1)..];
        }
    }

    private static string CanonicalQuery(string rawQuery)
    {
        var query = rawQuery.StartsWith('?') ? rawQuery[1..] : rawQuery;
        if (query.Length == 0)
        {
            return "";
        }

        return string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair =>
            {
                var kv = pair.Split('=', 2);
                return (Key: Encode(Decode(kv[0])), Value: Encode(Decode(kv.Length > 1 ? kv[1] : "")));
            })
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));
    }

    private static string CanonicalHeaderValue(SignedRequest request, string name)
    {
        if (!request.Headers.TryGetValue(name, out var values))
        {
            return "";
        }

        if (values.Count == 1 && IsTrimmedSingleSpaced(values[0]))
        {
            return values[0];
        }

        return string.Join(',', values.Select(v => string.Join(' ', v.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))));
    }

    private static bool IsTrimmedSingleSpaced(string value) =>
        value.Length == 0 || (!char.IsWhiteSpace(value[0]) && !char.IsWhiteSpace(value[^1]) && !value.Contains("  ", StringComparison.Ordinal) && !value.AsSpan().ContainsAny('\t', '\n', '\r'));

    /// <summary>RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX upper-case.</summary>
    private static string Encode(string value)
    {
        if (!value.AsSpan().ContainsAnyExcept(Unreserved))
        {
            return value;
        }

        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.' or '~')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static string Decode(string value) => Uri.UnescapeDataString(value);

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
}
