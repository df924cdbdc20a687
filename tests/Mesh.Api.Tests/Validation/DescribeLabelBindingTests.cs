using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Mesh.Api.Security;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Microsoft.AspNetCore.Http;

namespace Mesh.Api.Tests.Validation;

/// <summary>
/// A Describe bound straight into its resource's id (<see cref="RequestBinder.TryBindDescribe"/>) against the binding it
/// skips, kept here as the oracle: <see cref="RequestBinder.BindAsync"/> and then the names' rules the handler checks
/// (<see cref="ResourceNames.Check"/>, meshOwner). For every Describe of the model, raw label segments (plain, escaped,
/// '/' escaped, '.' and '..', control characters, NUL, lengths at the limits, non-ASCII) and query strings, the direct
/// binding gives either nothing (the call is then bound as before, and refused as before) or exactly the id and ARN the
/// oracle makes from an input it accepts.
/// </summary>
public sealed class DescribeLabelBindingTests
{
    private static readonly string[] RawSegments =
    [
        "web", "node-17", "a.b", "a%2Fb", "a%2fb", "a%25b", "a%41", "%41", ".", "..", "%2E", "%2E%2E", "a%00b", "a%01b", "%7F",
        "a%20b", "%C3%A9t%C3%A9", "%F0%9F%98%80", "%", "a%zz", new string('x', 255), new string('x', 256),
        string.Concat(Enumerable.Repeat("%C3%A9", 255)), string.Concat(Enumerable.Repeat("%C3%A9", 256)),
    ];

    private static readonly string[] Queries = ["", "?meshOwner=" + RawRequests.Account, "?meshOwner=999988887777", "?meshOwner=1", "?other=1", "?"];

    [Fact]
    public async Task EveryDescribe_BindsTheIdTheInputWouldGive_OrLeavesTheCallToTheBinding()
    {
        var direct = 0;
        var describes = ServiceModel.AppMesh.Operations.Where(o => o.Name.StartsWith("Describe", StringComparison.Ordinal)).ToList();
        Assert.Equal(ResourceKind.All.Count, describes.Count);
        foreach (var operation in describes)
        {
            var labels = RawRequests.LabelsOf(operation);
            var kind = ResourceKind.All.Single(k => "Describe" + k.PascalName == operation.Name);
            for (var i = 0; i < RawSegments.Length; i++)
            {
                foreach (var query in Queries)
                {
                    // Each label in turn takes the segment under test, the others a plain name.
                    for (var varied = 0; varied < labels.Count; varied++)
                    {
                        var raw = labels.Select((_, l) => l == varied ? RawSegments[i] : "name" + l).ToList();
                        var id = RawRequests.Binder.TryBindDescribe(operation, RawRequests.Request(operation, labels, raw, query));
                        var oracle = await OracleAsync(operation, kind, RawRequests.Request(operation, labels, raw, query));
                        if (id is null)
                        {
                            continue;
                        }

                        direct++;
                        Assert.True(oracle is not null, $"{operation.Name} {string.Join("/", raw)}{query}: bound directly, refused by the binding");
                        Assert.Equal(oracle.Value.Id, id);
                        Assert.Equal(oracle.Value.Arn, id.ToArn(RawRequests.Region, RawRequests.Account));
                    }
                }
            }
        }

        Assert.True(direct > 0, "no Describe was bound directly");
    }

    [Theory]
    [InlineData("web", "", true)]
    [InlineData("a%41", "", true)]
    [InlineData("web", "?meshOwner=" + RawRequests.Account, false)]
    [InlineData("a%2Fb", "", false)]
    [InlineData("..", "", false)]
    [InlineData("a%01b", "", false)]
    public void APlainDescribe_IsBoundDirectly_AndAnythingToCheckIsNot(string rawName, string query, bool direct)
    {
        var operation = ServiceModel.AppMesh.Operations.Single(o => o.Name == "DescribeVirtualNode");
        var id = RawRequests.Binder.TryBindDescribe(operation, RawRequests.Request(operation, ["meshName", "virtualNodeName"], ["prod", rawName], query));
        Assert.Equal(direct, id is not null);
        if (id is not null)
        {
            Assert.Equal(new ResourceId(ResourceKind.VirtualNode, "prod", "", Uri.UnescapeDataString(rawName)), id);
        }
    }

    /// <summary>The id and ARN the handler made from the bound input, or null when the binding or the names' rules refuse it.</summary>
    private static async Task<(ResourceId Id, string Arn)?> OracleAsync(Operation operation, ResourceKind kind, HttpContext context)
    {
        if (await RawRequests.BoundForThisAccountAsync(operation, context) is not { } input)
        {
            return null;
        }

        var names = new List<Violation>();
        var members = new List<string> { "meshName" };
        if (!kind.IsMesh)
        {
            members.Add(kind.NameMember);
        }

        if (kind.Parent is { } parent)
        {
            members.Add(parent.NameMember);
        }

        foreach (var member in members)
        {
            if (input[member]?.GetValue<string>() is { } name)
            {
                ResourceNames.Check(member, name, names);
            }
        }

        if (names.Count > 0)
        {
            return null;
        }

        var mesh = input["meshName"]!.GetValue<string>();
        var id = kind.IsMesh
            ? ResourceId.ForMesh(mesh)
            : new ResourceId(kind, mesh, kind.Parent is { } p ? input[p.NameMember]!.GetValue<string>() : "", input[kind.NameMember]!.GetValue<string>());
        return (id, OperationResources.Arn(operation.Name, input, RawRequests.Region, RawRequests.Account));
    }
}
