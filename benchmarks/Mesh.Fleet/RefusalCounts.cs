namespace Mesh.Fleet;

/// <summary>
/// How many proxies were refused how many times in a storm: a refused proxy doubles its backoff (<see cref="EnvoyBackoff"/>),
/// so the count a proxy reached says how long its next wait could be when the new server began to listen.
/// </summary>
internal static class RefusalCounts
{
    /// <summary>"0×: n, 1×: n, …" for each count that occurred, fewest refusals first.</summary>
    public static string Describe(IEnumerable<int> refusalsPerProxy) =>
        string.Join(", ", refusalsPerProxy.GroupBy(r => r).OrderBy(g => g.Key).Select(g => $"{g.Key}×: {g.Count()}"));
}
