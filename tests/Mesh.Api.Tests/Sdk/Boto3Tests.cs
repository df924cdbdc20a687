using System.Text.Json.Nodes;
using Mesh.Api.Tests.Fuzz;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Sdk;

/// <summary>
/// boto3 with parameter_validation=False: out-of-range values that botocore would refuse reach the API,
/// which must refuse them itself with BadRequestException naming every violation, and write nothing.
/// </summary>
public sealed class Boto3Tests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task OutOfRangeValues_WithoutClientValidation_AreBadRequestFromTheServer()
    {
        await MeshBuilder.CreateAsync(api, "boto");
        var before = await DatabaseSnapshot.TakeAsync(api.ConnectionString);

        var calls = new (SdkCall Call, string[] Paths)[]
        {
            (new SdkCall("CreateVirtualNode", new JsonObject
            {
                ["meshName"] = "boto",
                ["virtualNodeName"] = new string('n', 256),
                ["spec"] = new JsonObject
                {
                    ["listeners"] = new JsonArray(
                        new JsonObject { ["portMapping"] = new JsonObject { ["port"] = 0, ["protocol"] = "http" } },
                        new JsonObject { ["portMapping"] = new JsonObject { ["port"] = 70000, ["protocol"] = "ftp" } }),
                },
            }), ["virtualNodeName", "spec.listeners[0].portMapping.port", "spec.listeners[1].portMapping.port", "spec.listeners[1].portMapping.protocol"]),
            (new SdkCall("CreateMesh", new JsonObject { ["meshName"] = "" }), ["meshName"]),
            (new SdkCall("ListMeshes", new JsonObject { ["limit"] = 0 }), ["limit"]),
            (new SdkCall("ListVirtualNodes", new JsonObject { ["meshName"] = "boto", ["limit"] = 101 }), ["limit"]),
            (new SdkCall("UpdateMesh", new JsonObject { ["meshName"] = "boto", ["spec"] = new JsonObject { ["egressFilter"] = new JsonObject { ["type"] = "ALLOW_SOME" } } }), ["spec.egressFilter.type"]),
            (new SdkCall("CreateRoute", new JsonObject
            {
                ["meshName"] = "boto",
                ["virtualRouterName"] = "r",
                ["routeName"] = "x",
                ["spec"] = new JsonObject
                {
                    ["httpRoute"] = new JsonObject
                    {
                        ["match"] = new JsonObject { ["prefix"] = "/" },
                        ["action"] = new JsonObject
                        {
                            ["weightedTargets"] = new JsonArray(Enumerable.Range(0, 11)
                                .Select(i => (JsonNode)new JsonObject { ["virtualNode"] = $"n{i}", ["weight"] = i == 0 ? 101 : 0 }).ToArray()),
                        },
                    },
                },
            }), ["spec.httpRoute.action.weightedTargets", "spec.httpRoute.action.weightedTargets[0].weight"]),
        };

        var results = await SdkClients.RunBoto3Async(api.BaseAddress, SdkCredentials.For(api), calls.Select(c => c.Call).ToArray());

        for (var i = 0; i < calls.Length; i++)
        {
            var (call, paths) = calls[i];
            var result = results[i]!;
            var context = $"{call.Operation}: {result.ToJsonString()}";
            Assert.False(result["ok"]!.GetValue<bool>(), context);
            Assert.True(result["code"]!.GetValue<string>() == "BadRequestException", context);
            Assert.True(result["modeled"]!.GetValue<bool>(), $"Expected boto3's AppMesh.Client.exceptions.BadRequestException. {context}");
            Assert.Equal(400, result["status"]!.GetValue<int>());
            var message = result["message"]!.GetValue<string>();
            Assert.All(paths, path => Assert.Contains(path + ":", message));
        }

        DatabaseSnapshot.AssertUnchanged(before, await DatabaseSnapshot.TakeAsync(api.ConnectionString));
    }
}
