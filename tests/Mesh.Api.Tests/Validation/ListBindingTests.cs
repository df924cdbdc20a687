using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Mesh.Api.Security;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Microsoft.AspNetCore.Http;

namespace Mesh.Api.Tests.Validation;

/// <summary>
/// A list page bound straight from its request (<see cref="RequestBinder.TryBindList"/>) against the binding it skips,
/// kept here as the oracle: <see cref="RequestBinder.BindAsync"/>, the meshOwner check, and the page the list handler
/// reads from the bound input (its default limit included). For every List of the model, raw label segments and query
/// strings (limits at and past their range, an integer's bad text, repeated, escaped and unknown members, names in
/// other case, tokens with characters the query's parsing changes), the direct binding gives either nothing (the call
/// is then bound as before, and refused as before) or exactly the page and ARN the oracle makes from an input it accepts.
/// </summary>
public sealed class ListBindingTests
{
    private static readonly string[] RawSegments =
    [
        "web", "a.b", "a%2Fb", "a%25b", "a%41", ".", "..", "%2E%2E", "a%00b", "%7F", "a%20b", "%C3%A9t%C3%A9", "%", "a%zz",
        new string('x', 255), new string('x', 256),
    ];

    private static readonly string[] Queries =
    [
        "", "?", "?limit=100", "?limit=1", "?limit=50", "?limit=0", "?limit=101", "?limit=007", "?limit=+5", "?limit=-1",
        "?limit=1e2", "?limit=abc", "?limit=", "?limit", "?LIMIT=5", "?Limit=5", "?limit=5&limit=5", "?limit=5&limit=6",
        "?limit=%35", "?limit=5%20", "?limit=99999999999", "?limit=2147483648", "?limit=5&", "?&limit=5", "?limit=5&&nextToken=a",
        "?nextToken=abc", "?nextToken=eyJ.Sc-_9", "?limit=10&nextToken=abc.def", "?nextToken=abc&limit=10", "?nextToken=",
        "?nextToken=a%2Bb", "?nextToken=a+b", "?nextToken=a%41", "?nextToken=x&nextToken=y", "?nexttoken=abc",
        "?nextToken=" + new string('t', 3000), "?meshOwner=" + RawRequests.Account, "?meshOwner=999988887777", "?meshOwner=1",
        "?limit=5&meshOwner=" + RawRequests.Account, "?other=1", "?limit=5=6", "?=5",
    ];

    [Fact]
    public async Task EveryList_BindsThePageTheInputWouldGive_OrLeavesTheCallToTheBinding()
    {
        var direct = 0;
        var lists = ServiceModel.AppMesh.Operations
            .Where(o => ResourceKind.All.Any(k => "List" + k.PluralPascalName == o.Name))
            .ToList();
        Assert.Equal(ResourceKind.All.Count, lists.Count);
        foreach (var operation in lists)
        {
            var labels = RawRequests.LabelsOf(operation);
            var kind = ResourceKind.All.Single(k => "List" + k.PluralPascalName == operation.Name);
            foreach (var query in Queries)
            {
                // Each label in turn takes the segment under test, the others a plain name (a list of meshes has none).
                var variants = labels.Count == 0
                    ? [[]]
                    : RawSegments.SelectMany(segment => labels.Select((_, varied) =>
                        labels.Select((_, l) => l == varied ? segment : "name" + l).ToList())).ToList();
                foreach (var raw in variants)
                {
                    var page = RawRequests.Binder.TryBindList(operation, RawRequests.Request(operation, labels, raw, query));
                    var oracle = await OracleAsync(operation, kind, RawRequests.Request(operation, labels, raw, query));
                    if (page is null)
                    {
                        continue;
                    }

                    direct++;
                    var what = $"{operation.Name} {string.Join("/", raw)}{query}";
                    Assert.True(oracle is not null, $"{what}: bound directly, refused by the binding");
                    Assert.Equal(oracle.Value.Page, page.Value);
                    Assert.Equal(oracle.Value.Arn, OperationResources.ListArn(page.Value.Kind, page.Value.MeshName, page.Value.ParentName, RawRequests.Region, RawRequests.Account));
                }
            }
        }

        Assert.True(direct > 0, "no List was bound directly");
    }

    [Theory]
    [InlineData("", true, 100, null)]
    [InlineData("?limit=100", true, 100, null)]
    [InlineData("?limit=7&nextToken=abc.def", true, 7, "abc.def")]
    [InlineData("?limit=007", false, 0, null)]
    [InlineData("?limit=0", false, 0, null)]
    [InlineData("?limit=5&limit=5", false, 0, null)]
    [InlineData("?nextToken=a%2Bb", false, 0, null)]
    [InlineData("?meshOwner=" + RawRequests.Account, false, 0, null)]
    public void APlainListPage_IsBoundDirectly_AndAnythingToCheckIsNot(string query, bool direct, int limit, string? nextToken)
    {
        var operation = ServiceModel.AppMesh.Operations.Single(o => o.Name == "ListVirtualNodes");
        var page = RawRequests.Binder.TryBindList(operation, RawRequests.Request(operation, ["meshName"], ["prod"], query));
        Assert.Equal(direct, page is not null);
        if (page is not null)
        {
            Assert.Equal(new ListRequest(ResourceKind.VirtualNode, "prod", "", limit, nextToken), page.Value);
        }
    }

    [Fact]
    public void ANameTheNamesRulesRefuse_IsLeftToTheBinding()
    {
        var operation = ServiceModel.AppMesh.Operations.Single(o => o.Name == "ListRoutes");
        Assert.Null(RawRequests.Binder.TryBindList(operation, RawRequests.Request(operation, ["meshName", "virtualRouterName"], ["prod", "a%2Fb"], "")));
        Assert.Null(RawRequests.Binder.TryBindList(operation, RawRequests.Request(operation, ["meshName", "virtualRouterName"], ["..", "r"], "")));
        Assert.NotNull(RawRequests.Binder.TryBindList(operation, RawRequests.Request(operation, ["meshName", "virtualRouterName"], ["prod", "r"], "")));
    }

    /// <summary>The page and ARN the handler made from the bound input, or null when the binding or the meshOwner check refuses it.</summary>
    private static async Task<(ListRequest Page, string Arn)?> OracleAsync(Operation operation, ResourceKind kind, HttpContext context)
    {
        if (await RawRequests.BoundForThisAccountAsync(operation, context) is not { } input)
        {
            return null;
        }

        var page = new ListRequest(
            kind,
            kind.IsMesh ? "" : input["meshName"]!.GetValue<string>(),
            kind.Parent is { } parent ? input[parent.NameMember]!.GetValue<string>() : "",
            (int)(input["limit"]?.GetValue<long>() ?? 100),
            input["nextToken"]?.GetValue<string>());
        return (page, OperationResources.Arn(operation.Name, input, RawRequests.Region, RawRequests.Account));
    }
}
