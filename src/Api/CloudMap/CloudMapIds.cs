using Mesh.Model.Identity;
using System.Security.Cryptography;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Cloud Map's identifiers: <c>ns-</c>, <c>srv-</c> and operation ids of random lowercase letters and digits, and
/// the ARNs of namespaces and services. Every id member of the model is an <c>Arn</c> shape, so a call may name a
/// namespace or service by id or by ARN; both lead to the id.
/// </summary>
public static class CloudMapIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string NewNamespaceId() => "ns-" + Random(16);

    public static string NewServiceId() => "srv-" + Random(16);

    public static string NewOperationId() => Random(32);

    public static string NamespaceArn(string region, string account, string id) => Arn.CloudMap(region, account, "namespace/" + id).ToString();

    public static string ServiceArn(string region, string account, string id) => Arn.CloudMap(region, account, "service/" + id).ToString();

    /// <summary>The id an id-or-ARN member names: the ARN's last path segment, or the value itself.</summary>
    public static string IdOf(string idOrArn) =>
        Arn.LooksLikeArn(idOrArn) && idOrArn.LastIndexOf('/') is var slash and >= 0
            ? idOrArn[(slash + 1)..]
            : idOrArn;

    private static string Random(int length) => RandomNumberGenerator.GetString(Alphabet, length);
}
