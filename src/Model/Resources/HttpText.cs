using System.Text;

namespace Mesh.Model.Resources;

/// <summary>
/// What text a spec hands to Envoy as part of an HTTP request may hold: a header's name, a value Envoy takes only as a
/// strict header value, and what no request line or Host ever carries. Shared by the API's rules
/// (<see cref="SpecRules"/>) and the translation, which leaves out what was stored before a rule refused it.
/// </summary>
public static class HttpText
{
    /// <summary>The characters of an HTTP token (RFC 9110 §5.6.2) besides letters and digits.</summary>
    private const string TokenSymbols = "!#$%&'*+-.^_`|~";

    /// <summary>The most bytes Envoy takes in a query parameter matcher's name (its proto's <c>max_bytes</c>).</summary>
    public const int MaxQueryParameterNameBytes = 1024;

    /// <summary>A query parameter's name's length as Envoy counts it against <see cref="MaxQueryParameterNameBytes"/>: in UTF-8 bytes.</summary>
    public static int QueryParameterNameBytes(string name) => Encoding.UTF8.GetByteCount(name);

    /// <summary>
    /// Whether <paramref name="name"/> is an HTTP header's name, a token, or a pseudo-header's (':' and a token, such
    /// as <c>:authority</c>): a request carries no header by any other name, so a match on one would never hold (and
    /// an inverted one always would).
    /// </summary>
    public static bool IsHeaderName(string name)
    {
        var token = name.StartsWith(':') ? name.AsSpan(1) : name.AsSpan();
        if (token.IsEmpty)
        {
            return false;
        }

        foreach (var c in token)
        {
            if (!char.IsAsciiLetterOrDigit(c) && !TokenSymbols.Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether Envoy takes <paramref name="text"/> where its proto asks for a strict HTTP header value
    /// (<c>well_known_regex: HTTP_HEADER_VALUE</c>, as a health check's path and Host): no ASCII control character but
    /// a tab. Anything else has Envoy refuse the whole response that carries it.
    /// </summary>
    public static bool IsStrictHeaderValue(string text)
    {
        foreach (var c in text)
        {
            if ((c < 0x20 && c != '\t') || c == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="text"/> holds a NUL, CR or LF, which Envoy refuses in any header's name or value and in a rewritten path.</summary>
    public static bool HasNulCrOrLf(string text) => text.AsSpan().IndexOfAny('\0', '\r', '\n') >= 0;

    /// <summary>Whether <paramref name="text"/> holds a space or a control character, which no request's path or Host does.</summary>
    public static bool HasSpaceOrControl(string text) => text.EnumerateRunes().Any(r => Rune.IsWhiteSpace(r) || Rune.IsControl(r));
}
