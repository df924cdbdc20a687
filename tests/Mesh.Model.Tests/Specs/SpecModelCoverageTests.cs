using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Mesh.Model.Specs;

namespace Mesh.Model.Tests.Specs;

/// <summary>
/// Walks the App Mesh model from each spec shape alongside the records and checks that every member has a property
/// with the same JSON name, that required members are C# <c>required</c>, and that every enum value is readable.
/// A new or renamed member in the model fails here.
/// </summary>
public sealed class SpecModelCoverageTests
{
    private static readonly JsonObject Shapes = LoadShapes();

    public static TheoryData<string, Type> Roots() => new()
    {
        { "MeshSpec", typeof(MeshSpec) },
        { "VirtualNodeSpec", typeof(VirtualNodeSpec) },
        { "VirtualServiceSpec", typeof(VirtualServiceSpec) },
        { "VirtualRouterSpec", typeof(VirtualRouterSpec) },
        { "RouteSpec", typeof(RouteSpec) },
        { "VirtualGatewaySpec", typeof(VirtualGatewaySpec) },
        { "GatewayRouteSpec", typeof(GatewayRouteSpec) },
    };

    [Theory]
    [MemberData(nameof(Roots))]
    public void Records_CoverEveryMemberOfTheModel(string shape, Type type)
    {
        var problems = new List<string>();
        Walk(shape, type, shape, problems, []);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static void Walk(string shapeName, Type type, string path, List<string> problems, HashSet<string> seen)
    {
        if (!seen.Add(shapeName + "->" + type.FullName))
        {
            return;
        }

        var shape = Shapes[shapeName]!.AsObject();
        var kind = (string)shape["type"]!;
        type = Nullable.GetUnderlyingType(type) ?? type;
        switch (kind)
        {
            case "structure":
                var required = shape["required"]?.AsArray().Select(r => (string)r!).ToHashSet() ?? [];
                foreach (var (member, definition) in shape["members"]!.AsObject())
                {
                    var property = type.GetProperties().FirstOrDefault(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name == member);
                    if (property is null)
                    {
                        problems.Add($"{path}.{member}: no property on {type.Name}");
                        continue;
                    }

                    if (required.Contains(member) != property.IsDefined(typeof(RequiredMemberAttribute)))
                    {
                        problems.Add($"{path}.{member}: required in the model is {required.Contains(member)}, in {type.Name} it is not");
                    }

                    Walk((string)definition!["shape"]!, property.PropertyType, $"{path}.{member}", problems, seen);
                }

                break;
            case "list":
                if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(EquatableList<>))
                {
                    problems.Add($"{path}: a list in the model, {type.Name} here");
                    break;
                }

                Walk((string)shape["member"]!["shape"]!, type.GetGenericArguments()[0], path + "[]", problems, seen);
                break;
            case "string" when shape["enum"] is JsonArray values:
                var names = type.IsEnum
                    ? type.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name).ToHashSet()
                    : [];
                foreach (var value in values.Select(v => (string)v!).Where(v => !names.Contains(v)))
                {
                    problems.Add($"{path}: enum value '{value}' cannot be read into {type.Name}");
                }

                break;
            case "string":
                Expect(typeof(string));
                break;
            case "integer":
                Expect(typeof(int));
                break;
            case "long":
                Expect(typeof(long));
                break;
            case "boolean":
                Expect(typeof(bool));
                break;
            default:
                problems.Add($"{path}: unexpected model type {kind}");
                break;
        }

        void Expect(Type expected)
        {
            if (type != expected)
            {
                problems.Add($"{path}: {kind} in the model, {type.Name} here");
            }
        }
    }

    private static JsonObject LoadShapes()
    {
        using var stream = typeof(MeshSpec).Assembly.GetManifestResourceStream("appmesh-2019-01-25.model.json")!;
        return JsonNode.Parse(stream)!["shapes"]!.AsObject();
    }
}
