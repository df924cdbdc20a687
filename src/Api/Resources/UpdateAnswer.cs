using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;

namespace Mesh.Api.Resources;

/// <summary>
/// An update's answer rendered before the write, with placeholders for what only the row knows (uid, version,
/// createdAt): <see cref="Text"/> and <see cref="Holes"/> go to <c>mesh_update_resource</c>, which stores the answer
/// with the clientToken with the row's values in the holes (migration ReplayedAnswersVerbatim); <see cref="Fill"/>
/// does the same to the rendered bytes for this call's own answer, instead of rendering the whole answer a second time.
/// </summary>
/// <remarks>
/// Each hole is the exact text the answer's writer gives its member for a value drawn at random for this call (the
/// template is refused if one is missing), and the values put in are written by the same formatting, so the filled
/// answer is the bytes a rendering with the row's values gives. The arn and resourceOwner are the API's own; when the
/// row's differ (the region setting changed since the resource was created) the answer is rendered from the row instead.
/// </remarks>
public sealed class UpdateAnswer(string wireName, string text, string[] holes, ReadOnlyMemory<byte> data, string arn, string owner)
{
    /// <summary>The answer ({"virtualNode": …}) with its placeholders, as the function stores it.</summary>
    public string Text => text;

    /// <summary>The placeholders' exact text: "uid":"…", "version":…, "createdAt":….</summary>
    public string[] Holes => holes;

    public static string[] HolesFor(Guid uid, long version, DateTimeOffset createdAt)
    {
        Span<byte> seconds = stackalloc byte[32];
        return
        [
            $"\"uid\":\"{uid}\"",
            $"\"version\":{version}",
            "\"createdAt\":" + Encoding.ASCII.GetString(seconds[..EpochSecondsJson.Format(createdAt.ToUnixTimeMilliseconds(), seconds)]),
        ];
    }

    /// <summary>The answer with the row's values in its holes; null when the row's arn or owner is not the template's.</summary>
    public JsonObject? Fill(string rowArn, string rowOwner, Guid uid, long version, DateTimeOffset createdAt)
    {
        if (rowArn != arn || rowOwner != owner)
        {
            return null;
        }

        var values = HolesFor(uid, version, createdAt);
        var source = data.Span;
        var filled = new ArrayBufferWriter<byte>(source.Length + 64);
        // The holes in the order they stand in the answer (each once: its value was drawn for this call).
        var at = new (int Start, int Hole)[holes.Length];
        for (var i = 0; i < holes.Length; i++)
        {
            at[i] = (source.IndexOf(Encoding.ASCII.GetBytes(holes[i])), i);
        }

        Array.Sort(at);
        var copied = 0;
        foreach (var (start, hole) in at)
        {
            filled.Write(source[copied..start]);
            filled.Write(Encoding.ASCII.GetBytes(values[hole]));
            copied = start + holes[hole].Length;
        }

        filled.Write(source[copied..]);
        return new JsonObject { [wireName] = RawJson.Of(filled.WrittenMemory) };
    }
}
