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
        var text = new PooledText(512);
        try
        {
            AppendCanonicalRequest(ref text, request, signedHeaders);
            return text.ToString();
        }
        finally
        {
            text.Dispose();
        }
    }

    /// <summary>
    /// Writes the request's signature (64 lower-case hex characters) to <paramref name="signature"/>: the same value as
    /// <see cref="Signature"/> of <see cref="StringToSign"/> of <see cref="CanonicalRequest"/>, computed in pooled and
    /// stack buffers.
    /// </summary>
    public static void Sign(SignedRequest request, IReadOnlyList<string> signedHeaders, string amzDate, string scope, byte[] signingKey, Span<char> signature)
    {
        Span<byte> digest = stackalloc byte[SignatureBytes];
        SignatureDigest(request, signedHeaders, amzDate, scope, signingKey, digest);
        Convert.TryToHexStringLower(digest, signature, out _);
    }

    /// <summary>The length of a signature's HMAC-SHA256, in bytes (its text is twice as many hex characters).</summary>
    public const int SignatureBytes = 32;

    /// <summary>
    /// Writes the request's signature as the 32 bytes of its HMAC (<see cref="Sign"/> writes them as hex), as the
    /// verifier computes it on every call.
    /// </summary>
    public static void SignatureDigest(SignedRequest request, IReadOnlyList<string> signedHeaders, string amzDate, string scope, byte[] signingKey, Span<byte> digest)
    {
        var text = new PooledText(512);
        try
        {
            AppendCanonicalRequest(ref text, request, signedHeaders);
            Span<char> hex = stackalloc char[64];
            var hashers = ThreadHashers.Take();
            hashers.Sha256Utf8(text.Span, digest);
            Convert.TryToHexStringLower(digest, hex, out _);

            text.Clear();
            text.Append(SigV4Authorization.Algorithm);
            text.Append('\n');
            text.Append(amzDate);
            text.Append('\n');
            text.Append(scope);
            text.Append('\n');
            text.Append(hex);
            hashers.HmacUtf8(signingKey, text.Span, digest);
            ThreadHashers.Give(hashers);
        }
        finally
        {
            text.Dispose();
        }
    }

    private static void AppendCanonicalRequest(ref PooledText text, SignedRequest request, IReadOnlyList<string> signedHeaders)
    {
        text.Append(request.Method);
        text.Append('\n');
        text.Append(CanonicalUri(request.RawPath));
        text.Append('\n');
        AppendCanonicalQuery(ref text, request.RawQuery);
        text.Append('\n');
        for (var i = 0; i < signedHeaders.Count; i++)
        {
            text.Append(signedHeaders[i]);
            text.Append(':');
            text.Append(CanonicalHeaderValue(request, signedHeaders[i]));
            text.Append('\n');
        }

        text.Append('\n');
        for (var i = 0; i < signedHeaders.Count; i++)
        {
            if (i > 0)
            {
                text.Append(';');
            }

            text.Append(signedHeaders[i]);
        }

        text.Append('\n');
        text.Append(request.PayloadHash);
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

    /// <summary>
    /// The query's pairs, each side decoded and encoded again, sorted by key then value, as "k=v" joined by '&amp;'.
    /// A query that is canonical already (what SDKs send for App Mesh: "limit=100", pairs of unreserved characters in
    /// order) is copied as it is, with a missing '=' added: the sorting and re-encoding below made a string per side
    /// and per pair, an array per split and LINQ's sorter on every list call.
    /// </summary>
    private static void AppendCanonicalQuery(ref PooledText text, string rawQuery)
    {
        var query = rawQuery.AsSpan();
        if (query.StartsWith('?'))
        {
            query = query[1..];
        }

        if (query.IsEmpty)
        {
            return;
        }

        if (!IsCanonicalQuery(query))
        {
            text.Append(SortedCanonicalQuery(query.ToString()));
            return;
        }

        var first = true;
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (!first)
            {
                text.Append('&');
            }

            first = false;
            text.Append(pair);
            if (!pair.Contains('='))
            {
                text.Append('=');
            }
        }
    }

    /// <summary>
    /// True when decoding, encoding and sorting would give every pair back as it is: no empty pair, keys and values of
    /// unreserved characters only (so nothing to decode or encode), at most one '=' a pair, and the pairs already in
    /// ordinal order of key, then value.
    /// </summary>
    private static bool IsCanonicalQuery(ReadOnlySpan<char> query)
    {
        ReadOnlySpan<char> previousKey = default;
        ReadOnlySpan<char> previousValue = default;
        var first = true;
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (pair.IsEmpty)
            {
                return false;
            }

            var equals = pair.IndexOf('=');
            var key = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? [] : pair[(equals + 1)..];
            if (key.ContainsAnyExcept(Unreserved) || value.ContainsAnyExcept(Unreserved))
            {
                return false;
            }

            if (!first)
            {
                var order = previousKey.SequenceCompareTo(key);
                if (order > 0 || (order == 0 && previousValue.SequenceCompareTo(value) > 0))
                {
                    return false;
                }
            }

            first = false;
            previousKey = key;
            previousValue = value;
        }

        return true;
    }

    private static string SortedCanonicalQuery(string query) =>
        string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair =>
            {
                var kv = pair.Split('=', 2);
                return (Key: Encode(Decode(kv[0])), Value: Encode(Decode(kv.Length > 1 ? kv[1] : "")));
            })
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));

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

/// <summary>
/// A SHA-256 and an HMAC-SHA256 kept per thread and reset after each hash, for the two hashes of every verified call.
/// The one-shot <c>SHA256.HashData</c> and <c>HMACSHA256.HashData</c> made, keyed, and freed an OpenSSL context per
/// call (its fetch, error-queue clearing and frees were most of the 5–6% of a Describe's samples in libcrypto,
/// issue14ak); a kept context is only reset. The HMAC is keyed with the last signing key used on the thread (a copy of
/// it, compared by value, so a key is never used for another), and made again when another key comes.
/// </summary>
internal sealed class ThreadHashers
{
    [ThreadStatic]
    private static ThreadHashers? kept;

    private readonly IncrementalHash sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private IncrementalHash? hmac;
    private byte[]? hmacKey;

    /// <summary>This thread's hashers, taken out of their slot while they hash: a hash that throws never gives them back.</summary>
    public static ThreadHashers Take()
    {
        var hashers = kept ?? new ThreadHashers();
        kept = null;
        return hashers;
    }

    /// <summary>Gives the hashers back to this thread's slot, both reset by their last hash.</summary>
    public static void Give(ThreadHashers hashers) => kept = hashers;

    /// <summary>SHA-256 of the UTF-8 of <paramref name="text"/>.</summary>
    public void Sha256Utf8(ReadOnlySpan<char> text, Span<byte> digest) => HashUtf8(sha256, text, digest);

    /// <summary>HMAC-SHA256 under <paramref name="key"/> of the UTF-8 of <paramref name="text"/>.</summary>
    public void HmacUtf8(byte[] key, ReadOnlySpan<char> text, Span<byte> digest)
    {
        if (hmac is null || !key.AsSpan().SequenceEqual(hmacKey))
        {
            hmac?.Dispose();
            hmacKey = (byte[])key.Clone();
            hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, hmacKey);
        }

        HashUtf8(hmac, text, digest);
    }

    private static void HashUtf8(IncrementalHash hash, ReadOnlySpan<char> text, Span<byte> digest)
    {
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            hash.AppendData(bytes.AsSpan(0, Encoding.UTF8.GetBytes(text, bytes)));
            hash.GetHashAndReset(digest);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
