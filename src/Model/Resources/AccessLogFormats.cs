using System.Globalization;

namespace Mesh.Model.Resources;

/// <summary>
/// Whether an access log format (a text format, or a JSON format's value) is one Envoy can parse. Envoy reads every
/// <c>%</c> as the start of a command operator, <c>%NAME%</c>, <c>%NAME(argument)%</c> or <c>%NAME(argument):length%</c>,
/// or as <c>%%</c>, a literal percent sign; any other <c>%</c> (as in "100% done") makes it refuse the whole listener
/// update that carries the format, for every listener of the proxy. So such a format is answered here, saying where.
/// </summary>
/// <remarks>
/// Only the syntax is judged. Which command names exist grows with each Envoy release, and a name this list did not
/// know would be a valid format refused; an unknown name still shows as the proxy's NACK in proxy status.
/// </remarks>
public static class AccessLogFormats
{
    /// <summary>Why Envoy could not parse <paramref name="format"/>, or null when it can.</summary>
    public static string? Problem(string format)
    {
        var at = 0;
        while ((at = format.IndexOf('%', at)) >= 0)
        {
            if (at + 1 < format.Length && format[at + 1] == '%')
            {
                at += 2; // "%%": a literal '%'.
                continue;
            }

            if (CommandEnd(format, at) is not { } end)
            {
                return $"has a '%' at index {at.ToString(CultureInfo.InvariantCulture)} that does not begin a command operator "
                    + "such as %START_TIME% or %REQ(:PATH)% (write %% for a literal '%')";
            }

            at = end;
        }

        return null;
    }

    /// <summary>
    /// The index just past the command operator that starts at <paramref name="start"/> (a '%'), or null when none does:
    /// '%', one or more of A–Z, 0–9 and '_', an optional argument in parentheses (anything but ')'), an optional ':' and
    /// length in digits, and the closing '%'.
    /// </summary>
    private static int? CommandEnd(string format, int start)
    {
        var at = start + 1;
        while (at < format.Length && format[at] is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_')
        {
            at++;
        }

        if (at == start + 1)
        {
            return null;
        }

        if (at < format.Length && format[at] == '(')
        {
            var close = format.IndexOf(')', at + 1);
            if (close < 0)
            {
                return null;
            }

            at = close + 1;
        }

        if (at < format.Length && format[at] == ':')
        {
            var digits = at + 1;
            while (digits < format.Length && char.IsAsciiDigit(format[digits]))
            {
                digits++;
            }

            if (digits == at + 1)
            {
                return null;
            }

            at = digits;
        }

        return at < format.Length && format[at] == '%' ? at + 1 : null;
    }
}
