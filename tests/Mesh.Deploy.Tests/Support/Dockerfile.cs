namespace Mesh.Deploy.Tests.Support;

/// <summary>One instruction of a Dockerfile stage, its continuation lines joined as BuildKit joins them.</summary>
public sealed record DockerInstruction(string Keyword, string Arguments);

/// <summary>A stage: <c>FROM [--platform=…] base [AS name]</c> and its instructions.</summary>
public sealed record DockerStage(string Name, string Base, string? Platform, IReadOnlyList<DockerInstruction> Instructions);

/// <summary>
/// A Dockerfile read as far as the tests need it (there is no Docker engine here to build it): its stages, and the
/// chain of stages a target is built from. Comment lines are dropped, also inside an instruction's continuation lines.
/// </summary>
public sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    public static Dockerfile Read(string path) => Parse(File.ReadAllText(path));

    public static Dockerfile Parse(string text)
    {
        var stages = new List<DockerStage>();
        foreach (var (keyword, arguments) in Instructions(text))
        {
            if (keyword == "FROM")
            {
                var words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var platform = words[0].StartsWith("--platform=", StringComparison.Ordinal) ? words[0]["--platform=".Length..] : null;
                var rest = platform is null ? words : words[1..];
                var name = rest.Length == 3 && rest[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? rest[2] : $"#{stages.Count}";
                stages.Add(new DockerStage(name, rest[0], platform, []));
            }
            else if (stages.Count > 0)
            {
                var last = stages[^1];
                stages[^1] = last with { Instructions = [.. last.Instructions, new DockerInstruction(keyword, arguments)] };
            }
        }

        return new Dockerfile(stages);
    }

    public DockerStage Stage(string name) => Stages.Single(s => s.Name == name);

    /// <summary>The stages <paramref name="target"/> is built from, the first (whose base is an image) first.</summary>
    public IReadOnlyList<DockerStage> Chain(string target)
    {
        var chain = new List<DockerStage>();
        for (DockerStage? stage = Stage(target); stage is not null; stage = Stages.SingleOrDefault(s => s.Name == stage.Base))
        {
            chain.Insert(0, stage);
        }

        return chain;
    }

    /// <summary>Every instruction <paramref name="target"/>'s image is built with, in order.</summary>
    public IEnumerable<DockerInstruction> InstructionsOf(string target) => Chain(target).SelectMany(s => s.Instructions);

    private static IEnumerable<(string Keyword, string Arguments)> Instructions(string text)
    {
        var pending = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.TrimStart().StartsWith('#') || (pending.Length == 0 && line.Trim().Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1];
                continue;
            }

            var whole = (pending + line).Trim();
            pending = "";
            var space = whole.IndexOf(' ', StringComparison.Ordinal);
            yield return (whole[..space].ToUpperInvariant(), whole[(space + 1)..].Trim());
        }
    }
}
