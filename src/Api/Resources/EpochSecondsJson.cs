using System.Text.Json;

namespace Mesh.Api.Resources;

/// <summary>
/// Writes a time as <see cref="ResourceView.EpochSeconds"/> gives it (epoch seconds, up to three decimals, no trailing
/// zeros: 1764400000.123, 1764400000.5, 1764400000) straight from its milliseconds. The same text as writing that
/// decimal, without dividing and formatting a decimal: a list page writes two of these per item, and that was about a
/// twentieth of the API's CPU per page of 100.
/// </summary>
public static class EpochSecondsJson
{
    public static void Write(Utf8JsonWriter writer, JsonEncodedText name, DateTimeOffset time)
    {
        Span<byte> text = stackalloc byte[32];
        writer.WritePropertyName(name);
        writer.WriteRawValue(text[..Format(time.ToUnixTimeMilliseconds(), text)], skipInputValidation: true);
    }

    /// <summary>Writes <paramref name="milliseconds"/> as seconds into <paramref name="text"/>; returns the length.</summary>
    public static int Format(long milliseconds, Span<byte> text)
    {
        var length = 0;
        if (milliseconds < 0)
        {
            text[length++] = (byte)'-';
        }

        // The magnitude as unsigned, so that long.MinValue has one too.
        var magnitude = milliseconds < 0 ? (ulong)(-(milliseconds + 1)) + 1 : (ulong)milliseconds;
        var seconds = magnitude / 1000;
        var fraction = (int)(magnitude % 1000);
        seconds.TryFormat(text[length..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        length += written;
        if (fraction != 0)
        {
            text[length++] = (byte)'.';
            text[length++] = (byte)('0' + fraction / 100);
            if (fraction % 100 != 0)
            {
                text[length++] = (byte)('0' + fraction / 10 % 10);
                if (fraction % 10 != 0)
                {
                    text[length++] = (byte)('0' + fraction % 10);
                }
            }
        }

        return length;
    }
}
