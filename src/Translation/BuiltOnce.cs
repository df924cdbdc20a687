using System.Collections.Concurrent;

namespace Mesh.Translation;

/// <summary>
/// A graph's shared value built at most once per key, however many threads ask for it at once.
/// <see cref="ConcurrentDictionary{TKey,TValue}.GetOrAdd(TKey,Func{TKey,TValue})"/> runs its factory on every thread
/// that misses and keeps one result: the identities a change rebuilds in parallel all start by asking for the same
/// egress routing and proxyless bundle, and each built them, to throw all but one away.
/// A build that throws is not run again for the graph: the translator is deterministic, so it would throw again for
/// every identity that asks. The <see cref="Lazy{T}"/> keeps the exception and throws that same object to each of
/// them as long as the graph lives, which is how the xDS server logs one failure once while rejecting (and counting)
/// every identity it reaches.
/// </summary>
internal static class BuiltOnce
{
    public static TValue GetOrBuild<TArg, TValue>(this ConcurrentDictionary<string, Lazy<TValue>> values, string key, Func<TArg, TValue> build, TArg arg) =>
        values.GetOrAdd(key, static (_, a) => new Lazy<TValue>(() => a.build(a.arg), LazyThreadSafetyMode.ExecutionAndPublication), (build, arg)).Value;
}
