using System.Text.Json.Nodes;
using Mesh.Model.Graph;
using Mesh.EnvoyTesting;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// Every golden case is translated, checked against the protoc-gen-validate rules and for consistency, and
/// compared byte for byte with its golden file. To accept new output after a deliberate change:
/// <c>MESH_UPDATE_GOLDEN=1 dotnet test tests/Mesh.Translation.Tests</c>, then review the diff.
/// </summary>
public sealed class GoldenTests
{
    private static readonly bool Update = Environment.GetEnvironmentVariable("MESH_UPDATE_GOLDEN") == "1";

    public static TheoryData<string> Cases() => new(GoldenCase.Names());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_MatchesGolden(string name)
    {
        var actual = Render(GoldenCase.Load(name));
        var path = GoldenCase.Load(name).GoldenPath;
        if (Update)
        {
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"{path} is missing; run with MESH_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_PassesProtoValidation(string name)
    {
        foreach (var (target, resources) in TranslateAll(GoldenCase.Load(name)))
        {
            var errors = resources.Listeners.Cast<Google.Protobuf.IMessage>()
                .Concat(resources.RouteConfigurations)
                .Concat(resources.Clusters)
                .Concat(resources.ClusterLoadAssignments)
                .Concat(resources.Secrets)
                .SelectMany(m => PgvValidator.Validate(m, EnvoyTypes.Registry))
                .ToList();
            Assert.True(errors.Count == 0, $"{target}:\n" + string.Join("\n", errors));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_IsConsistent(string name)
    {
        foreach (var (target, resources) in TranslateAll(GoldenCase.Load(name)))
        {
            var problems = ResourceConsistency.Check(resources);
            Assert.True(problems.Count == 0, $"{target}:\n" + string.Join("\n", problems));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WholeProxyOutput_WithOnDemandListeners_IsConsistent(string name)
    {
        // What the xDS server serves a proxy identity: the golden output plus the proxyless listeners it may dial.
        var golden = GoldenCase.Load(name);
        var graph = MeshGraph.Build(golden.Rows);
        foreach (var target in golden.Targets.Select(GoldenCase.ParseTarget))
        {
            var problems = ResourceConsistency.Check(new MeshTranslator().TranslateProxy(graph, target));
            Assert.True(problems.Count == 0, $"{target}:\n" + string.Join("\n", problems));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_DoesNotDependOnRowOrder(string name)
    {
        var golden = GoldenCase.Load(name);
        var reversed = golden with { Rows = golden.Rows.Reverse().ToList() };

        Assert.Equal(Render(golden), Render(reversed));
    }

    private static IEnumerable<(string Target, ProxyResources Resources)> TranslateAll(GoldenCase golden)
    {
        var graph = MeshGraph.Build(golden.Rows);
        var translator = new MeshTranslator();
        return golden.Targets.Select(t => (t, translator.Translate(graph, GoldenCase.ParseTarget(t))));
    }

    private static string Render(GoldenCase golden)
    {
        var root = new JsonObject();
        foreach (var (target, resources) in TranslateAll(golden))
        {
            root[target] = GoldenJson.Of(resources);
        }

        return root.ToJsonString(GoldenCase.Indented) + "\n";
    }
}
