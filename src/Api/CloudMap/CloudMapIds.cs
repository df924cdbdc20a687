using Mesh.Model.Identity;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Cloud Map's identifiers: <c>ns-</c>, <c>srv-</c> and operation ids of random lowercase letters and digits, and
/// the ARNs of namespaces and services. Every id member of the model is an <c>Arn</c> shape, so a call may name a
/// namespace or service by id or by ARN; <see cref="ResolveArns"/> turns the ARNs into ids before any handler runs,
/// so the handlers only ever see ids.
/// </summary>
public static class CloudMapIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    private const string NamespaceType = "namespace";

    private const string ServiceType = "service";

    public static string NewNamespaceId() => "ns-" + Random(16);

    public static string NewServiceId() => "srv-" + Random(16);

    public static string NewOperationId() => Random(32);

    public static string NamespaceArn(string region, string account, string id) => Arn.CloudMap(region, account, NamespaceType + "/" + id).ToString();

    public static string ServiceArn(string region, string account, string id) => Arn.CloudMap(region, account, ServiceType + "/" + id).ToString();

    /// <summary>
    /// Replaces each namespace or service ARN the input names (<c>Id</c>, <c>ServiceId</c>, <c>NamespaceId</c>,
    /// <c>DnsConfig.NamespaceId</c>) by its id. Only the ARNs this installation gives out resolve: partition
    /// <c>aws</c>, service <c>servicediscovery</c>, its region, the caller's account and the member's resource type.
    /// Any other ARN names nothing the caller has, and is answered with the member's not-found error saying why; its
    /// last path segment must never be taken as an id of the caller's own (a <c>service/…</c> ARN of another account
    /// or region would act on the caller's service of the same id). ARNs in the id filters of the list operations
    /// resolve the same way, or stay as they are and match nothing.
    /// </summary>
    public static void ResolveArns(string operation, JsonObject input, string region, string account)
    {
        var idType = operation.EndsWith("Namespace", StringComparison.Ordinal) ? NamespaceType : ServiceType;
        Resolve(input, "Id", idType, region, account);
        Resolve(input, "ServiceId", ServiceType, region, account);
        Resolve(input, "NamespaceId", NamespaceType, region, account);
        if (input["DnsConfig"] is JsonObject dns)
        {
            Resolve(dns, "NamespaceId", NamespaceType, region, account);
        }

        foreach (var filter in (input["Filters"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var type = filter["Name"]?.GetValue<string>() switch
            {
                "NAMESPACE_ID" => NamespaceType,
                "SERVICE_ID" => ServiceType,
                _ => null,
            };
            if (type is not null && filter["Values"] is JsonArray values)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    if (values[i]?.GetValue<string>() is { } value && IdOf(value, type, region, account, out _) is { } id)
                    {
                        values[i] = id;
                    }
                }
            }
        }
    }

    private static void Resolve(JsonObject owner, string member, string type, string region, string account)
    {
        if (owner[member]?.GetValue<string>() is not { } value || !Arn.LooksLikeArn(value))
        {
            return;
        }

        owner[member] = IdOf(value, type, region, account, out var whyNot) ?? throw (type == NamespaceType
            ? CloudMapErrors.NamespaceNotFound(value, whyNot)
            : CloudMapErrors.ServiceNotFound(value, whyNot));
    }

    /// <summary>The id an ARN of this installation and account names, or null with why it names nothing here.</summary>
    private static string? IdOf(string text, string type, string region, string account, out string whyNot)
    {
        whyNot = "";
        if (!Arn.LooksLikeArn(text))
        {
            return text;
        }

        if (!Arn.TryParse(text, out var parsed))
        {
            whyNot = "it is not a whole ARN (arn:partition:servicediscovery:region:account:" + type + "/id)";
            return null;
        }

        var arn = parsed.Value;
        var slash = arn.Resource.IndexOf('/');
        var resourceType = slash < 0 ? arn.Resource : arn.Resource[..slash];
        var id = slash < 0 ? "" : arn.Resource[(slash + 1)..];
        whyNot = (arn.Partition, arn.Service, arn.Region, arn.AccountId) switch
        {
            (not Arn.DefaultPartition, _, _, _) => $"it is in partition {arn.Partition}; this Cloud Map's ARNs are in {Arn.DefaultPartition}",
            (_, not Arn.CloudMapService, _, _) => $"it is an ARN of {(arn.Service.Length == 0 ? "no service" : arn.Service)}, not of {Arn.CloudMapService}",
            _ when arn.Region != region => $"it is in region '{arn.Region}'; this Cloud Map's region is {region}",
            _ when arn.AccountId != account => $"it is of account '{arn.AccountId}', not the caller's {account}",
            _ when resourceType != type => $"it names a {(resourceType.Length == 0 ? "resource of no type" : resourceType)}, not a {type}",
            _ when id.Length == 0 || id.Contains('/') => $"it has no single {type} id after {type}/",
            _ => "",
        };
        return whyNot.Length == 0 ? id : null;
    }

    private static string Random(int length) => RandomNumberGenerator.GetString(Alphabet, length);
}
