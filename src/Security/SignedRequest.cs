namespace Mesh.Security;

/// <summary>
/// The parts of an HTTP request that Signature Version 4 covers, exactly as they were on the wire:
/// the raw (still percent-encoded) path and query, the headers by lower-case name, and the SHA-256
/// of the body in lower-case hex.
/// </summary>
public sealed record SignedRequest(
    string Method,
    string RawPath,
    string RawQuery,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Headers,
    string PayloadHash)
{
    public string? Header(string name) =>
        Headers.TryGetValue(name, out var values) && values.Count > 0 ? string.Join(",", values) : null;
}
