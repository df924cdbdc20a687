using Mesh.Model.Graph;

namespace Mesh.Translation.Tests.Support;

/// <summary>
/// The loop of the carry-over property tests (<see cref="MeshTranslator.MeshChanged"/>): over random meshes, each
/// changed at random six times, a translator told of every change translates every virtual node of every graph, and
/// each translation must be what a translator that never saw an older graph gives. A test's own check then sees each
/// translation with the node's one before the change, to count what was carried (the same message objects) and what
/// was translated again, or to compare it with something more.
/// </summary>
internal static class CarryOverRuns
{
    private const int Changes = 6;

    public static void Run(int meshes, Action<CarryOverStep> check)
    {
        for (var seed = 0; seed < meshes; seed++)
        {
            var random = new RandomMeshes(seed);
            var translator = new MeshTranslator();
            var old = random.Graph();
            var before = new Dictionary<string, ProxyResources>();
            var change = "the first graph";
            for (var step = 0; step < Changes; step++)
            {
                var fresh = new MeshTranslator();
                foreach (var name in RandomMeshes.NodeNames.Where(n => old.FindVirtualNode(n) is not null))
                {
                    var target = ProxyTarget.VirtualNode(name);
                    var why = $"seed {seed}, step {step} after {change}: node {name}";
                    var actual = translator.TranslateProxy(old, target);
                    ProxyResourcesAssert.Equal(fresh.TranslateProxy(old, target), actual, why);
                    check(new CarryOverStep(why, old, name, actual, before.GetValueOrDefault(name)));
                    before[name] = actual;
                }

                change = random.Mutate();
                var @new = random.Graph();
                translator.MeshChanged(old, @new, MeshGraphDiff.Between(old, @new));
                old = @new;
            }
        }
    }

    /// <summary>How many of <paramref name="now"/>'s items are (by reference) among <paramref name="before"/>'s, and how many are not.</summary>
    public static (int Carried, int New) Count<T>(IEnumerable<T> now, IEnumerable<T>? before)
        where T : class
    {
        var earlier = before?.ToHashSet(ReferenceEqualityComparer.Instance) ?? [];
        var carried = 0;
        var translated = 0;
        foreach (var item in now)
        {
            _ = earlier.Contains(item) ? carried++ : translated++;
        }

        return (carried, translated);
    }
}

/// <summary>
/// One node's translation in <see cref="CarryOverRuns.Run"/>: where it was (for failure messages), the graph, the
/// node, what the translator told of every change gave (equal to a fresh translator's), and what it gave the node
/// before the change (null when the node had not been translated yet).
/// </summary>
internal sealed record CarryOverStep(string Why, MeshGraph Graph, string Node, ProxyResources Actual, ProxyResources? Before);
