namespace Mesh.ApiLoad;

/// <summary>
/// When the API's JIT counts as done warming up. After a start, tiered compilation recompiles every hot method (with
/// dynamic PGO twice: an instrumented tier, then tier 1) on one background thread while the calls go on; on a busy
/// machine a fixed warm-up pass did not reach the end of it, and a "warm" create cell ran with the JIT compiling
/// 100–600 methods a second, all of them recompiles (docs/benchmarks.md, issue14ae). Below this rate what is left is
/// the odd method a cell touches for the first time.
/// </summary>
internal static class JitQuiet
{
    public const double MethodsPerSecond = 10;

    /// <summary>The warm-up pass repeats at most this many times; a JIT still busy after them is reported, not waited for.</summary>
    public const int MaxPasses = 6;

    /// <summary>Whether a stretch that compiled <paramref name="methods"/> over <paramref name="elapsed"/> was quiet; an unread count (NaN) is taken as quiet, so the pass runs once as before.</summary>
    public static bool Is(double methods, TimeSpan elapsed) =>
        double.IsNaN(methods) || elapsed <= TimeSpan.Zero || methods / elapsed.TotalSeconds < MethodsPerSecond;
}
