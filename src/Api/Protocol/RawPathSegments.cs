using Microsoft.AspNetCore.Http.Features;

namespace Mesh.Api.Protocol;

/// <summary>
/// Finds, in an API request's raw path, a segment that would make the server route the call to another operation than
/// the one the caller meant: a <c>.</c> or <c>..</c> (also percent-encoded, <c>%2E</c>), which the server removes before
/// routing (RFC 3986 §5.2.4), so that <c>DELETE .../virtualNodes/..</c>, which an SDK sends for a node named "..", would
/// be routed as DeleteMesh; or an empty one (<c>.../virtualServices/</c>, a name ""), which routing passes over, so
/// that DescribeVirtualService of "" would run ListVirtualServices. No App Mesh resource can have such a name (the API
/// refuses them), and no App Mesh path has an empty segment, so a call whose path holds one is refused before any
/// operation is chosen.
/// </summary>
public static class RawPathSegments
{
    /// <summary>What is wrong with the request's raw path, as a message, or null when nothing is.</summary>
    public static string? Problem(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        // Absolute form (http://host/path, which a server must accept, RFC 9112 §3.2.2): its path is routed the same.
        return raw[0] == '/' ? Problem(raw) : PathOfAbsoluteForm(raw) is { } path ? Problem(path) : null;
    }

    /// <summary>The path of an absolute-form target (<c>scheme://authority/path?query</c>), as sent; null if it has none.</summary>
    internal static string? PathOfAbsoluteForm(string target)
    {
        var scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return null;
        }

        var path = target.IndexOf('/', scheme + 3);
        return path < 0 ? null : target[path..];
    }

    /// <summary>What is wrong with <paramref name="target"/>'s path (the query is not looked at), or null.</summary>
    public static string? Problem(string target)
    {
        // A request target has no fragment: a '#' in it is part of the path, and the server still removes the dot
        // segments after it (.../b#/../.. is routed as the mesh), so only the query is cut off.
        var path = target.AsSpan();
        if (path.IndexOf('?') is var end and >= 0)
        {
            path = path[..end];
        }

        // Most paths hold no '.', no escape and no "//" and do not end in '/': nothing to split.
        if (path.IndexOfAny('.', '%') < 0 && path.IndexOf("//") < 0 && (path.Length <= 1 || path[^1] != '/'))
        {
            return null;
        }

        var first = true;
        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            if (first)
            {
                first = false; // What comes before the leading '/'.
                continue;
            }

            if (segment.IsEmpty)
            {
                return "The request path has an empty segment: a name in it is empty, and no App Mesh resource can have an empty name.";
            }

            if (IsDots(segment))
            {
                return $"The request path has a segment '{segment}': no App Mesh resource can be named '.' or '..', and such a segment would address a different resource.";
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
