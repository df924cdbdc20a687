using System.Diagnostics.CodeAnalysis;

namespace Mesh.Model.Identity;

/// <summary>
/// An Amazon Resource Name, <c>arn:&lt;partition&gt;:&lt;service&gt;:&lt;region&gt;:&lt;account&gt;:&lt;resource&gt;</c>. Every ARN this
/// installation writes or reads (App Mesh resources, Cloud Map namespaces and services, proxies' node ids) goes
/// through this one type, so the format is spelt in one place.
/// </summary>
public readonly record struct Arn(string Partition, string Service, string Region, string AccountId, string Resource)
{
    public const string AppMeshService = "appmesh";

    public const string CloudMapService = "servicediscovery";

    /// <summary>The partition this installation writes; parsing accepts any (aws-cn, aws-us-gov, ...).</summary>
    public const string DefaultPartition = "aws";

    public static Arn AppMesh(string region, string accountId, string resource) =>
        new(DefaultPartition, AppMeshService, region, accountId, resource);

    public static Arn CloudMap(string region, string accountId, string resource) =>
        new(DefaultPartition, CloudMapService, region, accountId, resource);

    /// <summary>Everything before the resource, e.g. <c>arn:aws:appmesh:us-east-1:111122223333:</c>.</summary>
    public static string Prefix(string service, string region, string accountId) => $"arn:{DefaultPartition}:{service}:{region}:{accountId}:";

    public static bool LooksLikeArn(string? text) => text is not null && text.StartsWith("arn:", StringComparison.Ordinal);

    /// <summary>
    /// Splits <paramref name="text"/> into its six parts. Only the shape is checked here (the <c>arn</c> scheme and a
    /// partition); what a service requires of region, account and resource is the caller's rule.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Arn? arn)
    {
        arn = null;
        if (!LooksLikeArn(text))
        {
            return false;
        }

        var parts = text!.Split(':', 6);
        if (parts.Length != 6 || parts[1].Length == 0)
        {
            return false;
        }

        arn = new Arn(parts[1], parts[2], parts[3], parts[4], parts[5]);
        return true;
    }

    /// <summary>An account id as AWS writes it: exactly twelve ASCII digits.</summary>
    public static bool IsAccountId(string? text) => text is { Length: 12 } && text.All(char.IsAsciiDigit);

    public override string ToString() => $"arn:{Partition}:{Service}:{Region}:{AccountId}:{Resource}";
}
