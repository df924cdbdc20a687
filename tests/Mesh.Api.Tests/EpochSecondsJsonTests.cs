using System.Buffers;
using System.Text;
using System.Text.Json;
using Mesh.Api.Resources;

namespace Mesh.Api.Tests;

/// <summary>Times written from their milliseconds are the same text as the decimal ResourceView.EpochSeconds gives, written.</summary>
public sealed class EpochSecondsJsonTests
{
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("createdAt");

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(1_764_400_000_123L, "1764400000.123")]
    [InlineData(1_764_400_000_120L, "1764400000.12")]
    [InlineData(1_764_400_000_100L, "1764400000.1")]
    [InlineData(1_764_400_000_000L, "1764400000")]
    [InlineData(1_764_400_000_003L, "1764400000.003")]
    [InlineData(1_764_400_000_030L, "1764400000.03")]
    [InlineData(5L, "0.005")]
    [InlineData(-1_500L, "-1.5")]
    [InlineData(-1L, "-0.001")]
    public void Writes_EpochSecondsWithoutTrailingZeros(long milliseconds, string expected)
    {
        Assert.Equal($$"""{"createdAt":{{expected}}}""", Written(w => EpochSecondsJson.Write(w, Name, DateTimeOffset.UnixEpoch.AddMilliseconds(milliseconds))));
        Assert.Equal(AsDecimal(milliseconds), Written(w => EpochSecondsJson.Write(w, Name, DateTimeOffset.UnixEpoch.AddMilliseconds(milliseconds))));
    }

    [Fact]
    public void Writes_WhatTheDecimalGives_ForEveryMillisecondOfASecondAndRandomTimes()
    {
        var random = new Random(14);
        var times = Enumerable.Range(0, 1000).Select(ms => 1_764_400_000_000L + ms)
            .Concat(Enumerable.Range(0, 2000).Select(_ => random.NextInt64(0, 253_402_300_799_999L)));
        foreach (var milliseconds in times)
        {
            Assert.Equal(AsDecimal(milliseconds), Written(w => EpochSecondsJson.Write(w, Name, DateTimeOffset.UnixEpoch.AddMilliseconds(milliseconds))));
        }
    }

    [Fact]
    public void Format_TheExtremes()
    {
        Span<byte> text = stackalloc byte[32];
        Assert.Equal("-9223372036854775.808", Encoding.UTF8.GetString(text[..EpochSecondsJson.Format(long.MinValue, text)]));
        Assert.Equal("9223372036854775.807", Encoding.UTF8.GetString(text[..EpochSecondsJson.Format(long.MaxValue, text)]));
    }

    /// <summary>What the answers wrote before: the decimal, through Utf8JsonWriter.WriteNumber.</summary>
    private static string AsDecimal(long milliseconds) =>
        Written(w => w.WriteNumber(Name, ResourceView.EpochSeconds(DateTimeOffset.UnixEpoch.AddMilliseconds(milliseconds))));

    private static string Written(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
