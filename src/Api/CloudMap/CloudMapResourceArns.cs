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
        // An ARN is judged as named (CloudMapIds.ResolveArns refuses one of another account or region after this).
        string Named(string type, string member) => input[member]?.GetValue<string>() is { } value && AwsArn.LooksLikeArn(value)
            ? value
            : prefix + type + "/" + (input[member]?.GetValue<string>() ?? "");
        return operation switch
        {
            "TagResource" or "UntagResource" or "ListTagsForResource" => input["ResourceARN"]?.GetValue<string>() ?? "",
            "CreateHttpNamespace" or "CreatePrivateDnsNamespace" or "CreatePublicDnsNamespace" or "ListNamespaces" => prefix + "namespace/*",
            "GetNamespace" or "DeleteNamespace" or "UpdateHttpNamespace" or "UpdatePrivateDnsNamespace" or "UpdatePublicDnsNamespace" => Named("namespace", "Id"),
            "CreateService" => input["NamespaceId"] is not null ? Named("namespace", "NamespaceId") : prefix + "namespace/*",
            "ListServices" => prefix + "service/*",
            "GetService" or "DeleteService" or "UpdateService" => Named("service", "Id"),
            "GetOperation" or "ListOperations" => prefix + "operation/*",
            "DiscoverInstances" or "DiscoverInstancesRevision" => prefix + "service/*",
            _ => Named("service", "ServiceId"),
        };
    }
}
