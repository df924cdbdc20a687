using System.Text.Json.Nodes;
using Mesh.Model.Wire;

namespace Mesh.Api.Tests.Infrastructure;

/// <summary>
/// Builds requests from the service model: a minimal valid value for any shape, and for every
/// constrained member of an operation's input, a request that breaks exactly that constraint.
/// </summary>
public sealed class ModelRequests(ServiceModel model)
{
    /// <summary>One request that breaks one constraint; <see cref="Path"/> is the JSON path the error must name.</summary>
    public sealed record Case(string Description, string Path, JsonObject Input);

    public IEnumerable<Case> ConstraintCases(Operation operation)
    {
        var input = model.Shape(operation.InputShape!);
        return Walk(input, [], new HashSet<string>());
    }

    /// <summary>The minimal valid value of a shape: required members only, the first member of a union.</summary>
    public JsonNode Valid(Shape shape) => shape.Type switch
    {
        ShapeType.Structure => ValidStructure(shape, null, null),
        ShapeType.List => new JsonArray(Enumerable.Range(0, (int)Math.Max(1, shape.Min ?? 1)).Select(_ => Valid(model.Shape(shape.ElementShape!))).ToArray()),
        ShapeType.String => shape.Enum is { } values ? values[0] : new string('a', (int)Math.Max(1, shape.Min ?? 1)),
        ShapeType.Integer or ShapeType.Long => Math.Min(Math.Max(shape.Min ?? 1, 1), shape.Max ?? long.MaxValue),
        ShapeType.Boolean => true,
        ShapeType.Timestamp => 0,
        _ => throw new NotSupportedException(shape.Type.ToString()),
    };

    private IEnumerable<Case> Walk(Shape shape, List<PathStep> path, HashSet<string> visiting)
    {
        if (!visiting.Add(shape.Name))
        {
            yield break;
        }

        switch (shape.Type)
        {
            case ShapeType.Structure:
                foreach (var member in shape.Members)
                {
                    // Labels cannot be left out or emptied without changing which route matches.
                    if (path.Count == 0 && member.Location == MemberLocation.Uri)
                    {
                        continue;
                    }

                    var memberPath = path.Append(new PathStep(shape, member.Name)).ToList();
                    if (shape.Required.Contains(member.Name))
                    {
                        yield return Make($"omit required {member.Name}", memberPath, Omit.Instance);
                    }

                    foreach (var c in Walk(model.Shape(member.ShapeName), memberPath, visiting))
                    {
                        yield return c;
                    }
                }

                if (shape.IsUnion && path.Count > 0)
                {
                    yield return Make("union with no member", path, new JsonObject());
                    if (shape.Members.Count > 1)
                    {
                        var two = new JsonObject();
                        foreach (var member in shape.Members.Take(2))
                        {
                            two[member.Name] = Valid(model.Shape(member.ShapeName));
                        }

                        yield return Make("union with two members", path, two);
                    }
                }

                if (path.Count > 0)
                {
                    yield return Make("array instead of object", path, new JsonArray());
                }

                break;
            case ShapeType.List:
                var element = model.Shape(shape.ElementShape!);
                if (shape.Min is > 0)
                {
                    yield return Make("list below min", path, new JsonArray(Enumerable.Range(0, (int)shape.Min.Value - 1).Select(_ => Valid(element)).ToArray()));
                }

                if (shape.Max is { } maxItems)
                {
                    yield return Make("list above max", path, new JsonArray(Enumerable.Range(0, (int)maxItems + 1).Select(_ => Valid(element)).ToArray()));
                }

                yield return Make("string instead of list", path, "x");
                foreach (var c in Walk(element, path.Append(new PathStep(shape, null)).ToList(), visiting))
                {
                    yield return c;
                }

                break;
            case ShapeType.String:
                if (shape.Min is > 0)
                {
                    yield return Make("string below min length", path, new string('a', (int)shape.Min.Value - 1));
                }

                if (shape.Max is { } maxLength)
                {
                    yield return Make("string above max length", path, new string('a', (int)maxLength + 1));
                }

                if (shape.Enum is not null)
                {
                    yield return Make("value outside enum", path, "NOT_A_MEMBER");
                }

                if (shape.Pattern is not null)
                {
                    yield return Make("string not matching pattern", path, "\u0001 \u0002");
                }

                if (!IsQuery(path))
                {
                    yield return Make("number instead of string", path, 42);
                }

                break;
            case ShapeType.Integer or ShapeType.Long:
                if (shape.Min is { } min)
                {
                    yield return Make("number below min", path, min - 1);
                }

                if (shape.Max is { } max)
                {
                    yield return Make("number above max", path, max + 1);
                }

                yield return Make(IsQuery(path) ? "non-numeric query value" : "string instead of number", path, "many");
                if (!IsQuery(path))
                {
                    yield return Make("fraction instead of integer", path, 1.5);
                }

                break;
            case ShapeType.Boolean:
                yield return Make("string instead of boolean", path, "yes");
                break;
        }

        visiting.Remove(shape.Name);
    }

    private Case Make(string description, List<PathStep> path, JsonNode replacement)
    {
        var root = path[0].Owner;
        var input = (JsonObject)Build(root, path, 0, replacement)!;
        return new Case($"{Display(path)}: {description}", Display(path), input);
    }

    /// <summary>Builds the minimal valid value of shape, with the member at path[depth..] replaced.</summary>
    private JsonNode? Build(Shape shape, List<PathStep> path, int depth, JsonNode replacement)
    {
        if (depth == path.Count)
        {
            return ReferenceEquals(replacement, Omit.Instance) ? null : replacement.DeepClone();
        }

        var step = path[depth];
        if (shape.Type == ShapeType.List)
        {
            return new JsonArray(Build(model.Shape(shape.ElementShape!), path, depth + 1, replacement));
        }

        var member = shape.FindMember(step.Member!)!;
        var value = Build(model.Shape(member.ShapeName), path, depth + 1, replacement);
        return ValidStructure(shape, member.Name, value);
    }

    private JsonObject ValidStructure(Shape shape, string? chosen, JsonNode? chosenValue)
    {
        var result = new JsonObject();
        foreach (var member in shape.Members)
        {
            if (member.Name == chosen)
            {
                if (chosenValue is not null)
                {
                    result[member.Name] = chosenValue;
                }
            }
            else if (shape.Required.Contains(member.Name) || (shape.IsUnion && chosen is null && member == shape.Members[0]))
            {
                result[member.Name] = Valid(model.Shape(member.ShapeName));
            }
        }

        return result;
    }

    private static bool IsQuery(List<PathStep> path) =>
        path.Count == 1 && path[0].Owner.FindMember(path[0].Member!)?.Location == MemberLocation.QueryString;

    private static string Display(List<PathStep> path)
    {
        var text = "";
        foreach (var step in path)
        {
            text += step.Member is null ? "[0]" : (text.Length == 0 ? step.Member : "." + step.Member);
        }

        return text;
    }

    private sealed record PathStep(Shape Owner, string? Member);

    /// <summary>Marks a member to leave out.</summary>
    private sealed class Omit
    {
        public static readonly JsonNode Instance = JsonValue.Create("__omit__")!;
    }
}
