using System.Globalization;

namespace Mesh.Model.Wire;

/// <summary>
/// Whole numbers written in plain ASCII decimal, as a port, a limit or a query parameter is written. .NET's own
/// parsers skip trailing NUL characters ("80\0" reads as 80), so a value the API stored or a client sent could read
/// as a number here and as something else (or nothing) elsewhere. These take only digits, and a leading '-' where asked.
/// </summary>
public static class DecimalText
{
    /// <summary>One or more ASCII digits and nothing else, within <see cref="int"/>.</summary>
    public static bool TryParseInt(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        return IsDigits(text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>ASCII digits with an optional leading '-', within <see cref="long"/>.</summary>
    public static bool TryParseLong(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        var digits = text.StartsWith("-") ? text[1..] : text;
        return IsDigits(digits) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');
}
