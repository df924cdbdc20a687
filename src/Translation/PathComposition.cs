using Envoy.Config.Route.V3;

namespace Mesh.Translation;

/// <summary>
/// One-stage gateways: App Mesh matched a gateway route, rewrote the path, and then matched the target's
/// router routes against the rewritten path in a second pass through the gateway's own egress listener
/// (docs/envoy-mapping.md §5). Here both matches are folded into one Envoy route: the router route's condition on the
/// rewritten path is turned into a condition on the original path, and the rewrite is adjusted to match.
/// </summary>
internal static class PathComposition
{
    /// <summary>The folded path match and the rewrite to apply; <c>Unsupported</c> says why it could not be folded.</summary>
    public sealed record Result(RouteMatch Match, string? PrefixRewrite, string? Unsupported);

    /// <param name="gateway">The gateway route's match (path part and conditions).</param>
    /// <param name="rewriteTo">
    /// For a prefix match, the prefix that replaces the gateway's prefix; for an exact or regex path, the new path. Null: no rewrite.
    /// </param>
    /// <param name="inner">The router route's match, written against the rewritten path.</param>
    /// <returns>Null when no request can satisfy both.</returns>
    public static Result? Compose(RouteMatch gateway, string? rewriteTo, RouteMatch inner)
    {
        var match = new RouteMatch();
        string? rewrite = null;
        switch (gateway.PathSpecifierCase)
        {
            case RouteMatch.PathSpecifierOneofCase.Prefix:
            {
                var pg = gateway.Prefix;
                var v = rewriteTo ?? pg;
                switch (inner.PathSpecifierCase)
                {
                    case RouteMatch.PathSpecifierOneofCase.Prefix:
                        var pi = inner.Prefix;
                        if (pi.StartsWith(v, StringComparison.Ordinal))
                        {
                            match.Prefix = pg + pi[v.Length..];
                            rewrite = rewriteTo is null ? null : pi;
                        }
                        else if (v.StartsWith(pi, StringComparison.Ordinal))
                        {
                            match.Prefix = pg;
                            rewrite = rewriteTo;
                        }
                        else
                        {
                            return null;
                        }

                        break;
                    case RouteMatch.PathSpecifierOneofCase.Path:
                        if (!inner.Path.StartsWith(v, StringComparison.Ordinal))
                        {
                            return null;
                        }

                        match.Path = pg + inner.Path[v.Length..];
                        rewrite = rewriteTo is null ? null : inner.Path;
                        break;
                    default:
                        if (pg != "/" || (rewriteTo is not null && rewriteTo != "/"))
                        {
                            return new Result(match, null, $"a regex route ({inner.SafeRegex.Regex}) cannot be combined with gateway prefix '{pg}'");
                        }

                        match.SafeRegex = inner.SafeRegex.Clone();
                        break;
                }

                break;
            }

            case RouteMatch.PathSpecifierOneofCase.Path:
            {
                // The rewritten path is known exactly, so the router route is decided here and now.
                var rewritten = rewriteTo ?? gateway.Path;
                var matches = SeesPath(inner, rewritten);
                if (matches is null)
                {
                    return new Result(match, null, $"the router route's regex '{inner.SafeRegex.Regex}' cannot be evaluated against the gateway's path '{rewritten}'");
                }

                if (matches == false)
                {
                    return null;
                }

                match.Path = gateway.Path;
                rewrite = rewriteTo;
                break;
            }

            default:
            {
                if (rewriteTo is not null)
                {
                    // Every request the gateway's regex matches leaves with the same path, so again the router route
                    // is decided here, and the gateway's regex stays the condition.
                    var matches = SeesPath(inner, rewriteTo);
                    if (matches is null)
                    {
                        return new Result(match, null, $"the router route's regex '{inner.SafeRegex.Regex}' cannot be evaluated against the gateway's rewritten path '{rewriteTo}'");
                    }

                    if (matches == false)
                    {
                        return null;
                    }

                    match.SafeRegex = gateway.SafeRegex.Clone();
                    rewrite = rewriteTo;
                }
                else if (inner.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.Prefix && inner.Prefix == "/")
                {
                    match.SafeRegex = gateway.SafeRegex.Clone();
                }
                else if (inner.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.Path
                    && MatchesWhole(inner.Path, gateway.SafeRegex.Regex) is var whole && whole != false)
                {
                    if (whole is null)
                    {
                        return new Result(match, null, $"the gateway's regex '{gateway.SafeRegex.Regex}' cannot be evaluated against the router route's path '{inner.Path}'");
                    }

                    match.Path = inner.Path;
                }
                else
                {
                    return new Result(match, null, $"gateway regex '{gateway.SafeRegex.Regex}' cannot be combined with a router route on a specific path");
                }

                break;
            }
        }

        match.Headers.AddRange(gateway.Headers);
        match.Headers.AddRange(inner.Headers);
        match.QueryParameters.AddRange(gateway.QueryParameters);
        match.QueryParameters.AddRange(inner.QueryParameters);
        return new Result(match, rewrite, null);
    }

    /// <summary>Whether the router route's path condition holds for a request whose path is <paramref name="path"/>; null when it cannot be told.</summary>
    private static bool? SeesPath(RouteMatch inner, string path) => inner.PathSpecifierCase switch
    {
        RouteMatch.PathSpecifierOneofCase.Prefix => path.StartsWith(inner.Prefix, StringComparison.Ordinal),
        RouteMatch.PathSpecifierOneofCase.Path => path == inner.Path,
        _ => MatchesWhole(path, inner.SafeRegex.Regex),
    };

    /// <summary>
    /// Whether <paramref name="pattern"/> matches all of <paramref name="input"/>; null when .NET cannot run the pattern
    /// (syntax only RE2 has, or a construct RE2 lacks, kept from before the API refused it). Both strings come from
    /// users, so the match runs without backtracking: its time grows with the input's length, never exponentially, as
    /// in Envoy's RE2 itself.
    /// </summary>
    private static bool? MatchesWhole(string input, string pattern)
    {
        try
        {
            return System.Text.RegularExpressions.Regex.IsMatch(
                input,
                $@"\A(?:{pattern})\z",
                System.Text.RegularExpressions.RegexOptions.NonBacktracking | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return null;
        }
    }
}
