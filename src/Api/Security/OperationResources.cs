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
    public static string Arn(string operation, JsonObject input, string region, string account)
    {
        if (input["resourceArn"]?.GetValue<string>() is { } arn)
        {
            return arn;
        }

        var prefix = AwsArn.Prefix(AwsArn.AppMeshService, region, account);
        foreach (var kind in ResourceKind.All)
        {
            if (operation == "List" + kind.PluralPascalName)
            {
                var mesh = input["meshName"]?.GetValue<string>();
                return kind switch
                {
                    _ when kind.IsMesh => prefix + "mesh/*",
                    _ when kind.Parent is { } parent => $"{prefix}mesh/{mesh}/{parent.WireName}/{input[parent.NameMember]?.GetValue<string>()}/{kind.WireName}/*",
                    _ => $"{prefix}mesh/{mesh}/{kind.WireName}/*",
                };
            }

            if (operation.EndsWith(kind.PascalName, StringComparison.Ordinal) && operation[..^kind.PascalName.Length] is "Create" or "Describe" or "Update" or "Delete")
            {
                var mesh = input["meshName"]?.GetValue<string>() ?? "";
                var id = kind.IsMesh
                    ? ResourceId.ForMesh(mesh)
                    : new ResourceId(kind, mesh, kind.Parent is { } p ? input[p.NameMember]?.GetValue<string>() ?? "" : "", input[kind.NameMember]?.GetValue<string>() ?? "");
                return id.ToArn(region, account);
            }
        }

        throw new ArgumentException($"No resource is known for operation {operation}.", nameof(operation));
    }
}
