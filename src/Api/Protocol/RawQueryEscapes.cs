using System.Buffers;
using System.Globalization;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Features;

namespace Mesh.Api.Protocol;

/// <summary>
/// Finds, in a request's raw query string, a parameter name or value whose percent-encoding cannot be decoded: a '%'
/// not followed by two hexadecimal digits (<c>?x=%</c>, <c>?%%%</c>), or escapes whose bytes are not UTF-8
/// (<c>?nextToken=%FF%FE</c>). SigV4 signs each name and value decoded and encoded again, so such a query has no
/// canonical form: the signature cannot tell a genuine caller from a forger, and was refused as InvalidSignature
/// whoever signed it. Nor can the value be a parameter's text. The call is refused as bad input before it is
/// authenticated, as a bad path is (<see cref="RawPathSegments"/>); a query that decodes is left to the signature.
/// </summary>
public static class RawQueryEscapes
{
    private const int StackLimit = 256;

    /// <summary>What is wrong with the request's raw query string, as a message, or null when nothing is.</summary>
    public static string? Problem(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw.IndexOf('?') is not (var start and >= 0))
        {
            return null;
        }

        return Problem(raw.AsSpan(start + 1));
    }

    /// <summary>What is wrong with <paramref name="query"/> (without its '?'), or null.</summary>
    public static string? Problem(ReadOnlySpan<char> query)
    {
        // Almost every query has no escape at all (limit=100, nextToken of base64url): nothing to decode.
        if (query.IndexOf('%') < 0)
        {
            return null;
        }

        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            if (Why(name) is { } badName)
            {
                return $"The query string has a parameter name whose percent-encoding is not valid (\"{RequestBinder.Printable(name.ToString())}\"): {badName}. Send names and values percent-encoded as UTF-8.";
            }

            if (equals >= 0 && Why(pair[(equals + 1)..]) is { } badValue)
            {
                return $"The query string's parameter \"{RequestBinder.Printable(Decoded(name))}\" has a value whose percent-encoding is not valid (\"{RequestBinder.Printable(pair[(equals + 1)..].ToString())}\"): {badValue}. Send it percent-encoded as UTF-8.";
            }
        }

        return null;
    }

    /// <summary>Why <paramref name="text"/> cannot be percent-decoded, or null when it can.</summary>
    private static string? Why(ReadOnlySpan<char> text)
    {
        if (text.IndexOf('%') < 0)
        {
            return null;
        }

        // Decoded into the stack, or a pooled array for a long one: nothing is left for the collector per request.
        byte[]? rented = null;
        var buffer = text.Length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(text.Length));
        try
        {
            var length = Decode(text, buffer);
            return length < 0 ? "a '%' is not followed by two hexadecimal digits"
                : Utf8.IsValid(buffer[..length]) ? null
                : "its escapes are not UTF-8";
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Writes the bytes <paramref name="text"/>'s escapes stand for into <paramref name="bytes"/> (at least as long as
    /// the text) and returns how many, or -1 if an escape is cut short. Other characters are ASCII here (Kestrel
    /// refuses any other raw byte in the request line), so each is its own byte.
    /// </summary>
    private static int Decode(ReadOnlySpan<char> text, Span<byte> bytes)
    {
        var length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                bytes[length++] = (byte)text[i];
                continue;
            }

            if (i + 2 >= text.Length
                || !byte.TryParse(text.Slice(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var escaped))
            {
                return -1;
            }

            bytes[length++] = escaped;
            i += 2;
        }

        return length;
    }

    /// <summary>A name already found decodable, decoded for the message.</summary>
    private static string Decoded(ReadOnlySpan<char> name) => Uri.UnescapeDataString(name.ToString());
}
