using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Model.Graph;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// One golden case: <c>Golden/&lt;name&gt;.input.json</c> holds a mesh and the proxies to translate for;
/// <c>Golden/&lt;name&gt;.golden.json</c> holds what they get. Input shape:
/// <code>{"mesh": {"name": "m", "spec": {}, "tags": [{"key": "k", "value": "v"}]}, "resources": [{"kind": "virtualNode", "name": "a", "spec": {}}, {"kind": "route", "parent": "r", ...}],
///  "targets": ["virtualNode/a", "virtualGateway/g", "proxyless/svc:80"]}</code>
/// </summary>
public sealed record GoldenCase(string Name, IReadOnlyList<MeshResourceRow> Rows, IReadOnlyList<string> Targets)
{
    public static string Directory { get; } = typeof(GoldenCase).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "GoldenDirectory").Value!;

    public string InputPath => Path.Combine(Directory, Name + ".input.json");

    public string GoldenPath => Path.Combine(Directory, Name + ".golden.json");

    public static IEnumerable<string> Names() =>
        System.IO.Directory.GetFiles(Directory, "*.input.json")
            .Select(p => Path.GetFileName(p)[..^".input.json".Length])
            .Order(StringComparer.Ordinal);

    public static GoldenCase Load(string name)
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, name + ".input.json")))!;
        var mesh = root["mesh"]!;
        var meshName = (string)mesh["name"]!;
        var rows = new List<MeshResourceRow> { new("mesh", null, meshName, 1, (mesh["spec"] ?? new JsonObject()).ToJsonString(), mesh["tags"]?.ToJsonString()) };
        foreach (var r in root["resources"]?.AsArray() ?? [])
        {
            rows.Add(new MeshResourceRow((string)r!["kind"]!, (string?)r["parent"], (string)r["name"]!, (long?)r["version"] ?? 1, r["spec"]!.ToJsonString()));
        }

        var targets = root["targets"]!.AsArray().Select(t => (string)t!).ToList();
        return new GoldenCase(name, rows, targets);
    }

    public static ProxyTarget ParseTarget(string target)
    {
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        var (kind, name) = (target[..slash], target[(slash + 1)..]);
        return kind switch
        {
            "virtualNode" => ProxyTarget.VirtualNode(name),
            "virtualGateway" => ProxyTarget.VirtualGateway(name),
            "proxyless" => ProxyTarget.Proxyless(name.Split(',')),
            _ => throw new ArgumentException($"Unknown target kind '{kind}'.", nameof(target)),
        };
    }

    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2 };
}
