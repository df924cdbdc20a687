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
        for (var i = 0; i < cut.Length; i++)
        {
            var pair = char.IsHighSurrogate(cut[i]) && i + 1 < cut.Length && char.IsLowSurrogate(cut[i + 1]);
            if (pair)
            {
                i++;
            }
            else if (cut[i] == '\0' || char.IsSurrogate(cut[i]))
            {
                return string.Create(cut.Length, cut, static (chars, text) =>
                {
                    text.CopyTo(chars);
                    for (var j = 0; j < chars.Length; j++)
                    {
                        if (char.IsHighSurrogate(chars[j]) && j + 1 < chars.Length && char.IsLowSurrogate(chars[j + 1]))
                        {
                            j++;
                        }
                        else if (chars[j] == '\0' || char.IsSurrogate(chars[j]))
                        {
                            chars[j] = '\uFFFD';
                        }
                    }
                });
            }
        }

        return cut;
    }
}
