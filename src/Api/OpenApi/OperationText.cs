using System.Text.RegularExpressions;
using Mesh.Model.Resources;

namespace Mesh.Api.OpenApi;

/// <summary>
/// The summary and description of each App Mesh operation in the OpenAPI document, written for this project. The
/// model carries no prose, so the text is composed from the operation's verb and resource kind; the three tag
/// operations have their own.
/// </summary>
public static partial class OperationText
{
    public static (string Summary, string Description) For(string operationName)
    {
        switch (operationName)
        {
            case "TagResource":
                return ("TagResource: add or change tags on a resource",
                    "Adds the given tags to the resource named by resourceArn, replacing the value of a key it already has. "
                    + "A resource holds at most 50 tags. On a mesh, tags under mesh.tracing/ switch on tracing for all of its proxies "
                    + "(README, \"Tracing per mesh\"); a value that cannot be used is refused with a BadRequestException naming the tag.");
            case "UntagResource":
                return ("UntagResource: remove tags from a resource",
                    "Removes the given tag keys from the resource named by resourceArn. Keys the resource does not have are ignored.");
            case "ListTagsForResource":
                return ("ListTagsForResource: list a resource's tags",
                    "Returns the tags of the resource named by resourceArn, a page at a time: pass the nextToken of one page to get the next.");
        }

        var match = VerbAndKind().Match(operationName);
        if (!match.Success)
        {
            throw new ArgumentException($"No text for operation {operationName}.", nameof(operationName));
        }

        var verb = match.Groups["verb"].Value;
        var kind = ResourceKind.All.Single(k => k.PascalName == match.Groups["kind"].Value || k.PluralPascalName == match.Groups["kind"].Value);
        var noun = Words(kind.PascalName);
        var plural = Words(kind.PluralPascalName);
        var where = Where(kind, "a");
        var article = noun[0] is 'a' or 'e' or 'i' or 'o' or 'u' ? "an" : "a";
        return verb switch
        {
            "Create" => ($"{operationName}: create {article} {noun}", $"Creates {article} {noun}{where}. "
                + (kind.IsMesh ? "A mesh is the boundary that holds virtual nodes, services, routers and gateways. " : "")
                + "The whole request is checked against App Mesh's constraints first, and every problem is named in one BadRequestException. "
                + $"A name already used answers ConflictException; repeating a call with the same clientToken returns the first call's {noun} instead. "
                + "Connected proxies that the change affects get their new configuration from the xDS server."),
            "Describe" => ($"{operationName}: describe {article} {noun}",
                $"Returns the {noun} with its spec, status and metadata (ARN, uid, version, creation and update times)."),
            "Update" => ($"{operationName}: replace {article} {noun}'s spec",
                $"Replaces the {noun}'s spec with the one given: the whole spec, not a patch. Its version goes up by one, "
                + "and connected proxies that the change affects get their new configuration from the xDS server."),
            "Delete" => ($"{operationName}: delete {article} {noun}",
                $"Deletes the {noun} and returns it as it was, with status DELETED. While something still depends on it the answer is "
                + "ResourceInUseException, naming what: "
                + (kind.IsMesh ? "any resource left in the mesh." : ResourceKind.All.Any(k => k.Parent == kind)
                    ? $"its {Words(ResourceKind.All.Single(k => k.Parent == kind).PluralPascalName)}, or a resource whose spec names it."
                    : "a resource whose spec names it.")),
            "List" => ($"{operationName}: list {plural}",
                $"Returns the {plural}{(kind.IsMesh ? " of the caller's account" : Where(kind, "the"))}, a page at a time: "
                + "limit caps a page (1 to 100), and the nextToken of one page gets the next."),
            _ => throw new ArgumentException($"No text for operation {operationName}.", nameof(operationName)),
        };
    }

    /// <summary>Where a resource of the kind lives: " of a virtual router in a mesh", " in the mesh", or nothing for a mesh.</summary>
    private static string Where(ResourceKind kind, string article) =>
        kind.IsMesh ? "" : kind.Parent is { } parent ? $" of {article} {Words(parent.PascalName)} in {article} mesh" : $" in {article} mesh";

    /// <summary>"VirtualNode" → "virtual node".</summary>
    private static string Words(string pascal) => UpperCase().Replace(pascal, m => (m.Index == 0 ? "" : " ") + m.Value.ToLowerInvariant());

    [GeneratedRegex("^(?<verb>Create|Describe|Update|Delete|List)(?<kind>[A-Za-z]+)$")]
    private static partial Regex VerbAndKind();

    [GeneratedRegex("[A-Z]")]
    private static partial Regex UpperCase();
}
