using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Api.Tests.WebConsole;

/// <summary>
/// The console's proxy status when two accounts each have a mesh of the same name: the xDS servers serve both, and
/// each account must see its own proxies only, and none at all for a mesh it does not have.
/// </summary>
public sealed class ProxyStatusAccountTests(ProxyStatusAccountTests.TwoAccounts fixture) : IClassFixture<ProxyStatusAccountTests.TwoAccounts>
{
    private const string OtherAccount = "444455556666";
    private const string MeshlessAccount = "555566667777";
    private const string MeshName = "shared";

    [Fact]
    public async Task AnAccountWithoutTheMesh_IsAnsweredNotFound_AsDescribeMeshAnswersIt_AndSeesNoOtherAccountsProxies()
    {
        var other = await fixture.Api.CreateKeyAsync(MeshlessAccount, KeyPolicy.Admin);
        using var console = await ConsoleClient.SignInAsync(fixture.Api, other);

        var status = await console.GetAsync($"/console/api/proxy-status?meshName={MeshName}");

        var describe = await fixture.Api.SendAsync(fixture.Api.CreateClient(other), HttpMethod.Get, Paths.Mesh(MeshName));
        describe.AssertError(404, "NotFoundException");
        status.AssertError(404, "NotFoundException");
        Assert.Equal(describe.Message, status.Message);
        var body = status.Body?.ToJsonString() ?? "";
        Assert.DoesNotContain("-node", body);
        Assert.DoesNotContain(ApiServer.AccountId, body);
    }

    [Fact]
    public async Task EachAccount_SeesOnlyTheProxiesOfItsOwnMeshOfThatName()
    {
        var other = await fixture.Api.CreateKeyAsync(OtherAccount, KeyPolicy.Admin);
        using var otherSigned = fixture.Api.CreateClient(other);
        var created = await fixture.Api.SendAsync(otherSigned, HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = MeshName });
        Assert.True(created.Status is 200 or 409, $"creating the other account's mesh: {created.Status} {created.Message}");
        using var otherConsole = await ConsoleClient.SignInAsync(fixture.Api, other);
        using var ownerConsole = await ConsoleClient.SignInAsync(fixture.Api, fixture.Api.AdminKey);

        var owners = (await ownerConsole.GetAsync($"/console/api/proxy-status?meshName={MeshName}")).AssertOk();
        var others = (await otherConsole.GetAsync($"/console/api/proxy-status?meshName={MeshName}")).AssertOk();

        Assert.Equal(["owners-node"], Names(owners));
        Assert.Equal(["others-node"], Names(others));
    }

    private static List<string> Names(ApiResponse response) =>
        response.Body!["proxies"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The API host, its own account's mesh "shared" created, pointed at an xDS admin port whose proxy status lists a
    /// proxy in "shared" of each account, and one in the owner's "shared-extra" (a name "shared" is a prefix of).
    /// </summary>
    public sealed class TwoAccounts : IAsyncLifetime
    {
        private WebApplication? xds;

        public ApiServer Api { get; } = new();

        public async Task InitializeAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            xds = builder.Build();
            var report = new JsonObject
            {
                ["proxies"] = new JsonArray(
                    Proxy(ApiServer.AccountId, MeshName, "owners-node", 1),
                    Proxy(OtherAccount, MeshName, "others-node", 2),
                    Proxy(ApiServer.AccountId, MeshName + "-extra", "extra-node", 3)),
                ["unreachable"] = new JsonArray(),
            }.ToJsonString();
            xds.MapGet("/proxy-status", () => Results.Content(report, "application/json"));
            await xds.StartAsync();
            var url = xds.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

            Api.Settings["Mesh:Console:ProxyStatusUrls:0"] = url;
            await Api.InitializeAsync();
            (await Api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = MeshName })).AssertOk();
        }

        public async Task DisposeAsync()
        {
            await Api.DisposeAsync();
            if (xds is not null)
            {
                await xds.DisposeAsync();
            }
        }

        /// <summary>One stream as the xDS server's GET /proxy-status writes it.</summary>
        private static JsonObject Proxy(string account, string mesh, string node, long stream) => new()
        {
            ["replica"] = "xds-0",
            ["streamId"] = stream,
            ["variant"] = "sotw",
            ["nodeId"] = $"mesh/{mesh}/virtualNode/{node}",
            ["resource"] = $"arn:aws:appmesh:{ApiServer.Region}:{account}:mesh/{mesh}/virtualNode/{node}",
            ["mesh"] = mesh,
            ["kind"] = "virtualNode",
            ["name"] = node,
            ["types"] = new JsonObject(),
            ["warnings"] = new JsonArray($"a warning of {node}"),
        };
    }
}
