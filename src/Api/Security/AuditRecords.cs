using System.Text;
using Mesh.Persistence;

namespace Mesh.Api.Security;

/// <summary>
/// Builds audit rows, bounding what a client controls (a forged key id, a long message) to what the columns
/// hold, so a hostile request can never make its own audit record fail to write.
/// </summary>
public static class AuditRecords
{
    private const int MaxKeyId = 32;
    private const int MaxRequestId = 64;
    private const int MaxSourceAddress = 64;
    public const int MaxMessage = 2048;

    public static AuditRecordEntity Create(
        DateTimeOffset at, string accountId, string accessKeyId, string action, string resourceArn, string requestId,
        string sourceAddress, int statusCode, string errorCode, string message) => new()
        {
            At = at,
            AccountId = accountId,
            AccessKeyId = Bound(accessKeyId, MaxKeyId),
            Action = Bound(action, 64),
            ResourceArn = Bound(resourceArn, MaxMessage),
            RequestId = Bound(requestId, MaxRequestId),
            SourceAddress = Bound(sourceAddress, MaxSourceAddress),
            StatusCode = statusCode,
            ErrorCode = Bound(errorCode, 64),
            Message = Bound(message, MaxMessage),
        };

    /// <summary>
    /// Cuts <paramref name="value"/> to the column's length, never inside a surrogate pair, and replaces what PostgreSQL
    /// text cannot hold or Npgsql cannot encode (NUL, a lone surrogate) with U+FFFD: a record that cannot be written
    /// would hold up every record queued behind it.
    /// </summary>
    public static string Bound(string value, int max)
    {
        var cut = value.Length <= max ? value : value[..(char.IsHighSurrogate(value[max - 1]) ? max - 1 : max)];
        if (!cut.Contains('\0') && cut.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            return cut; // nearly always: nothing to replace
        }

        // Enumerated as runes, a lone surrogate is U+FFFD already; a pair is kept as one rune.
        var fitted = new StringBuilder(cut.Length);
        foreach (var rune in cut.EnumerateRunes())
        {
            fitted.Append(rune.Value == 0 ? Rune.ReplacementChar : rune);
        }

        return fitted.ToString();
    }
}
