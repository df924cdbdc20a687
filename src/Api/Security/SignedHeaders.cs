using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Mesh.Api.Security;

/// <summary>
/// A request's headers as <see cref="Mesh.Security.SignedRequest"/> reads them (by lower-case name), looked up in
/// Kestrel's own case-insensitive header collection when asked rather than copied into a dictionary first: the
/// verifier reads only the few headers a request signs, so copying every header of every call was wasted work.
/// </summary>
internal sealed class SignedHeaders(IHeaderDictionary headers) : IReadOnlyDictionary<string, IReadOnlyList<string>>
{
    public IReadOnlyList<string> this[string key] => TryGetValue(key, out var values) ? values : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => headers.Keys.Select(k => k.ToLowerInvariant());

    public IEnumerable<IReadOnlyList<string>> Values => headers.Values.Select(Of);

    public int Count => headers.Count;

    public bool ContainsKey(string key) => headers.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out IReadOnlyList<string> value)
    {
        if (headers.TryGetValue(key, out var values))
        {
            value = Of(values);
            return true;
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, IReadOnlyList<string>>> GetEnumerator() =>
        headers.Select(h => KeyValuePair.Create(h.Key.ToLowerInvariant(), Of(h.Value))).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static IReadOnlyList<string> Of(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Count == 1 ? [values[0] ?? ""] : values.Select(v => v ?? "").ToArray();
}
