using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Mesh.Model.Resources;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>App Mesh route matches → Envoy <c>RouteMatch</c> (docs/envoy-mapping.md §4 "Matching").</summary>
internal static class Matches
{
    public static RouteMatch Http(Specs.HttpRouteMatch match)
    {
        var result = Path(match.Prefix, match.Path);
        AddHeaders(result, match.Headers);
        if (match.Method is { } method)
        {
            result.Headers.Add(Exact(":method", Method(method)));
        }

        if (match.Scheme is { } scheme)
        {
            result.Headers.Add(Exact(":scheme", scheme == Specs.HttpScheme.Https ? "https" : "http"));
        }

        AddQuery(result, match.QueryParameters);
        return result;
    }

    public static RouteMatch Grpc(Specs.GrpcRouteMatch match) => Grpc(match.ServiceName, match.MethodName, match.Metadata);

    /// <summary>gRPC calls are POSTs to <c>/&lt;service&gt;/&lt;method&gt;</c>: both names make an exact path, a service alone a prefix.</summary>
    public static RouteMatch Grpc(string? service, string? method, Specs.EquatableList<Specs.GrpcRouteMetadata>? metadata)
    {
        var result = new RouteMatch();
        if (!string.IsNullOrEmpty(service) && !string.IsNullOrEmpty(method))
        {
            result.Path = $"/{service}/{method}";
        }
        else if (!string.IsNullOrEmpty(service))
        {
            result.Prefix = $"/{service}/";
        }
        else
        {
            result.Prefix = "/";
        }

        foreach (var entry in metadata ?? [])
        {
            result.Headers.Add(Header(entry.Name, entry.Match, entry.Invert ?? false));
        }

        return result;
    }

    public static RouteMatch Path(string? prefix, Specs.HttpPathMatch? path)
    {
        var result = new RouteMatch();
        if (path?.Exact is { } exact)
        {
            result.Path = exact;
        }
        else if (path?.Regex is { } regex)
        {
            result.SafeRegex = Regex(regex);
        }
        else
        {
            result.Prefix = string.IsNullOrEmpty(prefix) ? "/" : prefix;
        }

        return result;
    }

    public static void AddHeaders(RouteMatch result, Specs.EquatableList<Specs.HttpRouteHeader>? headers)
    {
        foreach (var header in headers ?? [])
        {
            result.Headers.Add(Header(header.Name, header.Match, header.Invert ?? false));
        }
    }

    /// <summary>
    /// Why Envoy would refuse a match's names (with the whole route configuration), or null: a header's or gRPC
    /// metadata's (<paramref name="list"/>) with a NUL, CR or LF, a query parameter's empty or of more than 1,024 bytes.
    /// The API refuses these now; a route stored with one before is left out with this reason.
    /// </summary>
    public static string? NameProblem(string list, IEnumerable<string>? headerNames, Specs.EquatableList<Specs.HttpQueryParameter>? parameters)
    {
        var i = 0;
        foreach (var name in headerNames ?? [])
        {
            if (HttpText.HasNulCrOrLf(name))
            {
                return $"match.{list}[{i}].name has a NUL, CR or LF, which Envoy refuses";
            }

            i++;
        }

        for (i = 0; i < (parameters?.Count ?? 0); i++)
        {
            var name = parameters![i].Name;
            if (name.Length == 0)
            {
                return $"match.queryParameters[{i}].name is empty, which Envoy refuses";
            }

            if (HttpText.QueryParameterNameBytes(name) is var bytes and > HttpText.MaxQueryParameterNameBytes)
            {
                return $"match.queryParameters[{i}].name is {bytes} bytes; Envoy takes at most {HttpText.MaxQueryParameterNameBytes}";
            }
        }

        return null;
    }

    /// <summary>
    /// Why a route's path match can match no request, or null: a space or control character in its prefix or exact
    /// path, which no request's path holds. A gateway rewriting into the route would send that prefix or path on as
    /// its rewrite, which Envoy refuses with a CR or LF (with the gateway's whole route configuration). The API refuses
    /// these now; a route stored with one before is left out with this reason.
    /// </summary>
    public static string? PathProblem(string? prefix, Specs.HttpPathMatch? path) =>
        prefix is not null && HttpText.HasSpaceOrControl(prefix) ? "match.prefix has a space or control character, which no request's path holds"
        : path?.Exact is { } exact && HttpText.HasSpaceOrControl(exact) ? "match.path.exact has a space or control character, which no request's path holds"
        : null;

    /// <summary>
    /// Warns of each condition of a match no request can meet (<paramref name="list"/> names the header or metadata
    /// list): a header's or metadata's exact, prefix or suffix value with a control character other than a tab, which
    /// no request's header value holds (HTTP parsers refuse them), or a query parameter's exact value with a space or
    /// control character, which no request's path holds (Envoy matches the query as the request sent it, not decoded).
    /// The API and Envoy take such a value, so the route is served: it never matches a request, or, when the condition
    /// is inverted, the condition holds for every request. <paramref name="route"/> names the route ("route",
    /// "gateway route").
    /// </summary>
    public static void WarnOfValuesNoRequestCarries(
        TranslationContext context,
        string where,
        string route,
        string list,
        IEnumerable<(Specs.HeaderMatchMethod? Match, bool? Invert)>? headers,
        Specs.EquatableList<Specs.HttpQueryParameter>? parameters)
    {
        var i = 0;
        foreach (var (match, invert) in headers ?? [])
        {
            var member = match switch
            {
                { Exact: { } exact } when !HttpText.IsStrictHeaderValue(exact) => "exact",
                { Prefix: { } prefix } when !HttpText.IsStrictHeaderValue(prefix) => "prefix",
                { Suffix: { } suffix } when !HttpText.IsStrictHeaderValue(suffix) => "suffix",
                _ => null,
            };
            if (member is not null)
            {
                var problem = $"{where}: match.{list}[{i}].match.{member} has a control character, which no request's header value holds";
                if (invert == true)
                {
                    context.Warn(WarningKind.SettingIgnored, $"{problem}, so its inverted condition holds for every request");
                }
                else
                {
                    context.Warn(WarningKind.MatchNeverMatches, $"{problem}, so the {route} never matches a request");
                }
            }

            i++;
        }

        for (i = 0; i < (parameters?.Count ?? 0); i++)
        {
            if (parameters![i].Match?.Exact is { } exact && HttpText.HasSpaceOrControl(exact))
            {
                context.Warn(WarningKind.MatchNeverMatches, $"{where}: match.queryParameters[{i}].match.exact has a space or control character, which no request's path holds, so the {route} never matches a request");
            }
        }
    }

    public static void AddQuery(RouteMatch result, Specs.EquatableList<Specs.HttpQueryParameter>? parameters)
    {
        foreach (var parameter in parameters ?? [])
        {
            var matcher = new QueryParameterMatcher { Name = parameter.Name };
            if (parameter.Match?.Exact is { } exact)
            {
                matcher.StringMatch = new StringMatcher { Exact = exact };
            }
            else
            {
                matcher.PresentMatch = true;
            }

            result.QueryParameters.Add(matcher);
        }
    }

    /// <summary>
    /// A header or gRPC metadata match. No match method means "present"; range is [start, end). The name is written in
    /// lower case: header names are compared without case (Envoy lowers the matcher's name itself), while gRPC clients
    /// look the name up as given among metadata keys that are always lower case, so <c>X-Canary</c> never matched there.
    /// </summary>
    public static HeaderMatcher Header(string name, Specs.HeaderMatchMethod? match, bool invert)
    {
        var result = new HeaderMatcher { Name = name.ToLowerInvariant(), InvertMatch = invert };
        switch (match)
        {
            case { Exact: { } exact }:
                result.StringMatch = new StringMatcher { Exact = exact };
                break;
            case { Prefix: { } prefix }:
                result.StringMatch = new StringMatcher { Prefix = prefix };
                break;
            case { Suffix: { } suffix }:
                result.StringMatch = new StringMatcher { Suffix = suffix };
                break;
            case { Regex: { } regex }:
                result.StringMatch = new StringMatcher { SafeRegex = Regex(regex) };
                break;
            case { Range: { } range }:
                result.RangeMatch = new Envoy.Type.V3.Int64Range { Start = range.Start, End = range.End };
                break;
            default:
                result.PresentMatch = true;
                break;
        }

        return result;
    }

    /// <summary>
    /// Rewrites each header matcher's <c>string_match</c> as the field it replaced (<c>exact_match</c>,
    /// <c>prefix_match</c>, <c>suffix_match</c>, <c>safe_regex_match</c>), for proxyless gRPC clients: gRPC C-core
    /// before string_match (python3-grpcio 1.51 here) refuses the whole route configuration ("Invalid route header
    /// matcher specified"), while every gRPC library, and Envoy, still reads the deprecated fields. The matchers here
    /// never ignore case, which only string_match could say.
    /// </summary>
    public static void UseFieldsEveryGrpcClientReads(RouteMatch match)
    {
#pragma warning disable CS0612 // Deprecated in Envoy, the only header matchers older gRPC clients read.
        foreach (var header in match.Headers)
        {
            if (header.StringMatch is not { IgnoreCase: false } text)
            {
                continue;
            }

            switch (text.MatchPatternCase)
            {
                case StringMatcher.MatchPatternOneofCase.Exact:
                    header.ExactMatch = text.Exact;
                    break;
                case StringMatcher.MatchPatternOneofCase.Prefix:
                    header.PrefixMatch = text.Prefix;
                    break;
                case StringMatcher.MatchPatternOneofCase.Suffix:
                    header.SuffixMatch = text.Suffix;
                    break;
                case StringMatcher.MatchPatternOneofCase.SafeRegex:
                    header.SafeRegexMatch = text.SafeRegex;
                    break;
            }
        }
#pragma warning restore CS0612
    }

    public static HeaderMatcher Exact(string name, string value) =>
        new() { Name = name, StringMatch = new StringMatcher { Exact = value } };

    public static RegexMatcher Regex(string regex) => new() { Regex = regex };

    public static string Method(Specs.HttpMethod method) => method.ToString().ToUpperInvariant();
}
