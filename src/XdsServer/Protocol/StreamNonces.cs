using System.Globalization;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// A stream's response nonces: its responses numbered from 1, as decimal text. The number is what a delta stream
/// keeps of a response once it has forgotten the response itself, and finds again in the client's answer.
/// </summary>
internal static class StreamNonces
{
    /// <summary>"0" to "1023": a stream sends a few responses at connect and one or two per change for each type it gets.</summary>
    private static readonly string[] Shared = [.. Enumerable.Range(0, 1024).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    /// <summary>
    /// The nonce of response <paramref name="number"/>. The first ones are shared strings: a stream's latest nonce lives
    /// until its next response, so a new string per response on every stream was promoted into gen2 at every change.
    /// </summary>
    public static string Text(long number) => number >= 0 && number < Shared.Length ? Shared[number] : number.ToString(CultureInfo.InvariantCulture);

    /// <summary>The number <paramref name="nonce"/> stands for, or 0 when it is not a nonce of <see cref="Text"/>'s.</summary>
    public static long Number(string nonce) =>
        long.TryParse(nonce, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : 0;
}
