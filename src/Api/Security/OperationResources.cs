using System.Collections.Frozen;
using AwsArn = Mesh.Model.Identity.Arn;
using Mesh.Security;
using System.Text.Json.Nodes;
using Mesh.Model.Resources;

namespace Mesh.Api.Security;

/// <summary>
/// The resource ARN an operation acts on, for policy checks and the audit log. Lists act on the
/// collection, written as a wildcard ARN (e.g. mesh/prod/virtualNode/*), so that a statement on
/// "mesh/prod/*" covers listing inside prod and nothing outside it.
/// </summary>
public static class OperationResources
{
    /// <summary>Each resource operation's kind, and whether it lists; found once rather than by matching names on every call.</summary>
    private static readonly FrozenDictionary<string, (ResourceKind Kind, bool Lists)> Operations = ResourceKind.All
        .SelectMany(kind => new[] { ("List" + kind.PluralPascalName, (kind, true)) }
            .Concat(new[] { "Create", "Describe", "Update", "Delete" }.Select(verb => (verb + kind.PascalName, (kind, false)))))
        .ToFrozenDictionary(o => o.Item1, o => o.Item2, StringComparer.Ordinal);

    public static string Arn(string operation, JsonObject input, string region, string account)
    {
        if (input["resourceArn"]?.GetValue<string>() is { } arn)
        {
            return arn;
        }

        if (!Operations.TryGetValue(operation, out var target))
        {
            throw new ArgumentException($"No resource is known for operation {operation}.", nameof(operation));
        }

        var kind = target.Kind;
        var mesh = input["meshName"]?.GetValue<string>();
        if (target.Lists)
        {
            return ListArn(kind, mesh ?? "", kind.Parent is { } parent ? input[parent.NameMember]?.GetValue<string>() ?? "" : "", region, account);
        }

        var id = kind.IsMesh
            ? ResourceId.ForMesh(mesh ?? "")
            : new ResourceId(kind, mesh ?? "", kind.Parent is { } p ? input[p.NameMember]?.GetValue<string>() ?? "" : "", input[kind.NameMember]?.GetValue<string>() ?? "");
        return id.ToArn(region, account);
    }

    /// <summary>The wildcard ARN a list of <paramref name="kind"/> in that mesh and parent acts on (see the class's summary).</summary>
    public static string ListArn(ResourceKind kind, string meshName, string parentName, string region, string account)
    {
        var prefix = AwsArn.Prefix(AwsArn.AppMeshService, region, account);
        return kind switch
        {
            _ when kind.IsMesh => prefix + "mesh/*",
            _ when kind.Parent is { } parent => $"{prefix}mesh/{meshName}/{parent.WireName}/{parentName}/{kind.WireName}/*",
            _ => $"{prefix}mesh/{meshName}/{kind.WireName}/*",
        };
    }
}
