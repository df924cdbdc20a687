using Microsoft.AspNetCore.Http.Features;

namespace Mesh.Api.Protocol;

/// <summary>
/// Finds a <c>.</c> or <c>..</c> segment (also percent-encoded, <c>%2E</c>) in a request's raw path. The server removes
/// such segments before routing (RFC 3986 §5.2.4), so <c>DELETE .../virtualNodes/..</c>, which an SDK sends for a node
/// named "..", would be routed as DeleteMesh. No App Mesh resource can have such a name (the API refuses them), so a
/// call whose path holds one is refused before any operation is chosen.
/// </summary>
public static class DotSegments
{
    /// <summary>The first dot segment of the request's raw path, as sent, or null when it has none.</summary>
    public static string? Find(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return string.IsNullOrEmpty(raw) ? null : Find(raw);
    }

    /// <summary>The first dot segment of <paramref name="target"/>'s path (the query is not looked at), or null.</summary>
    public static string? Find(string target)
    {
        var path = target.AsSpan();
        if (path.IndexOfAny('?', '#') is var end and >= 0)
        {
            path = path[..end];
        }

        // Most paths hold no '.' and no escape at all: nothing to split.
        if (path.IndexOfAny('.', '%') < 0)
        {
            return null;
        }

        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            if (IsDots(segment))
            {
                return segment.ToString();
            }
        }

        return null;
    }

    /// <summary>Whether the segment is one or two dots, each written as '.' or as %2E / %2e.</summary>
    private static bool IsDots(ReadOnlySpan<char> segment)
    {
        var dots = 0;
        while (!segment.IsEmpty)
        {
            if (segment[0] == '.')
            {
                segment = segment[1..];
            }
            else if (segment.Length >= 3 && segment[0] == '%' && segment[1] == '2' && segment[2] is 'E' or 'e')
            {
                segment = segment[3..];
            }
            else
            {
                return false;
            }

            dots++;
        }

        return dots is 1 or 2;
    }
}
