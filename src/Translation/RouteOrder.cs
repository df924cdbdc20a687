using Envoy.Config.Route.V3;

namespace Mesh.Translation;

/// <summary>
/// Envoy takes the first route that matches, so order is semantics. Routes are ordered by:
/// 1. priority, 0 first; a route without priority comes after every prioritised one;
/// 2. then most specific first: exact path, then regex path, then prefix; a longer path or prefix first;
///    more header and query conditions first;
/// 3. then by name, so the order never depends on storage order.
/// App Mesh sorted unprioritised routes longest-prefix-first (RM#77); this extends that rule to ties.
/// </summary>
internal static class RouteOrder
{
    public const int Unprioritised = 1001;

    public static List<Route> Sort(IEnumerable<(int? Priority, Route Route)> routes) =>
        Sort(routes, r => r.Priority, r => r.Route.Match, r => r.Route.Name).Select(r => r.Route).ToList();

    public static List<T> Sort<T>(IEnumerable<T> items, Func<T, int?> priority, Func<T, RouteMatch> match, Func<T, string> name) =>
        items
            .OrderBy(r => priority(r) ?? Unprioritised)
            .ThenByDescending(r => Rank(match(r)))
            .ThenByDescending(r => PathLength(match(r)))
            .ThenByDescending(r => match(r).Headers.Count + match(r).QueryParameters.Count)
            .ThenBy(name, StringComparer.Ordinal)
            .ToList();

    private static int Rank(RouteMatch match) => match.PathSpecifierCase switch
    {
        RouteMatch.PathSpecifierOneofCase.Path => 3,
        RouteMatch.PathSpecifierOneofCase.SafeRegex => 2,
        _ => 1,
    };

    private static int PathLength(RouteMatch match) => match.PathSpecifierCase switch
    {
        RouteMatch.PathSpecifierOneofCase.Path => match.Path.Length,
        RouteMatch.PathSpecifierOneofCase.SafeRegex => match.SafeRegex.Regex.Length,
        _ => match.Prefix.Length,
    };
}
