using AwsArn = Mesh.Model.Identity.Arn;
using System.Text.Json.Nodes;

namespace Mesh.Api.CloudMap;

/// <summary>
/// The resource ARN a Cloud Map call acts on, for policy checks and the audit log: the namespace or service it
/// names, or a wildcard ARN for lists and creates (<c>namespace/*</c>, <c>service/*</c>), so that
/// <c>servicediscovery:* on arn:aws:servicediscovery:*:*:service/srv-abc</c> covers that one service's instances.
/// </summary>
public static class CloudMapResourceArns
{
    public static string Arn(string operation, JsonObject input, string region, string account)
    {
        var prefix = AwsArn.Prefix(AwsArn.CloudMapService, region, account);
        string Id(string member) => CloudMapIds.IdOf(input[member]?.GetValue<string>() ?? "");
        return operation switch
        {
            "TagResource" or "UntagResource" or "ListTagsForResource" => input["ResourceARN"]?.GetValue<string>() ?? "",
            "CreateHttpNamespace" or "CreatePrivateDnsNamespace" or "CreatePublicDnsNamespace" or "ListNamespaces" => prefix + "namespace/*",
            "GetNamespace" or "DeleteNamespace" or "UpdateHttpNamespace" or "UpdatePrivateDnsNamespace" or "UpdatePublicDnsNamespace" => prefix + "namespace/" + Id("Id"),
            "CreateService" => input["NamespaceId"] is not null ? prefix + "namespace/" + Id("NamespaceId") : prefix + "namespace/*",
            "ListServices" => prefix + "service/*",
            "GetService" or "DeleteService" or "UpdateService" => prefix + "service/" + Id("Id"),
            "GetOperation" or "ListOperations" => prefix + "operation/*",
            "DiscoverInstances" or "DiscoverInstancesRevision" => prefix + "service/*",
            _ => prefix + "service/" + Id("ServiceId"),
        };
    }
}
