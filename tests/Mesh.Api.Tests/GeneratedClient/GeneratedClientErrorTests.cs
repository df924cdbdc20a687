using Mesh.Api.Client;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Security;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>
/// Error answers surface as the generated client's exception, typed by the document's error schema,
/// with the status code, the message, and the x-amzn-ErrorType header the SDKs read.
/// </summary>
public sealed class GeneratedClientErrorTests(ApiServer api) : IClassFixture<ApiServer>
{
    private readonly AppMeshClient client = GeneratedClients.For(api);

    [Fact]
    public async Task MissingMesh_IsNotFound()
    {
        var name = GeneratedClients.NewMeshName();

        var error = await Assert.ThrowsAsync<AppMeshApiException<ErrorBody>>(() => client.DescribeMeshAsync(name));

        AssertError(error, 404, "NotFoundException");
        Assert.Contains(name, error.Result.Message);
    }

    [Fact]
    public async Task MissingVirtualNode_IsNotFound()
    {
        var mesh = GeneratedClients.NewMeshName();
        await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh });

        var error = await Assert.ThrowsAsync<AppMeshApiException<ErrorBody>>(() => client.DeleteVirtualNodeAsync(mesh, "ghost"));

        AssertError(error, 404, "NotFoundException");
        Assert.Contains("ghost", error.Result.Message);
    }

    [Fact]
    public async Task SameNameTwice_IsConflict()
    {
        var mesh = GeneratedClients.NewMeshName();
        await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh });

        var error = await Assert.ThrowsAsync<AppMeshApiException<ErrorBody>>(() => client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh }));

        AssertError(error, 409, "ConflictException");
        Assert.Contains(mesh, error.Result.Message);
    }

    [Fact]
    public async Task MeshWithChildren_IsResourceInUse()
    {
        var mesh = GeneratedClients.NewMeshName();
        await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh });
        await client.CreateVirtualNodeAsync(mesh, new CreateVirtualNodeInput { VirtualNodeName = "web", Spec = new VirtualNodeSpec() });

        var error = await Assert.ThrowsAsync<AppMeshApiException<ErrorBody>>(() => client.DeleteMeshAsync(mesh));

        AssertError(error, 409, "ResourceInUseException");
        Assert.Equal(1, (await client.DescribeMeshAsync(mesh)).Metadata.Version);
    }

    [Fact]
    public async Task InvalidSpec_IsBadRequestNamingEachField()
    {
        // The generated client does not validate, so the server's validation answers.
        var mesh = GeneratedClients.NewMeshName();
        await client.CreateMeshAsync(new CreateMeshInput { MeshName = mesh });
        var spec = new VirtualNodeSpec
        {
            Listeners = [new Listener { PortMapping = new PortMapping { Port = 70000, Protocol = PortProtocol.Http } }],
            ServiceDiscovery = new ServiceDiscovery(),
        };

        var error = await Assert.ThrowsAsync<AppMeshApiException<ErrorBody>>(
            () => client.CreateVirtualNodeAsync(mesh, new CreateVirtualNodeInput { VirtualNodeName = "web", Spec = spec }));

        AssertError(error, 400, "BadRequestException");
        Assert.Contains("spec.listeners[0].portMapping.port", error.Result.Message);
        Assert.Contains("spec.serviceDiscovery", error.Result.Message);
        Assert.Empty((await client.ListVirtualNodesAsync(mesh)).VirtualNodes);
    }

    [Fact]
    public async Task LimitOutOfRange_IsBadRequest()
    {
        var error = await Assert.ThrowsAsync<AppMeshApiException<ErrorBody>>(() => client.ListMeshesAsync(limit: 0));

        AssertError(error, 400, "BadRequestException");
        Assert.Contains("limit", error.Result.Message);
    }

    [Fact]
    public async Task ForgedNextToken_IsBadRequest()
    {
        var error = await Assert.ThrowsAsync<AppMeshApiException<ErrorBody>>(() => client.ListMeshesAsync(nextToken: "not-a-token"));

        AssertError(error, 400, "BadRequestException");
    }

    [Fact]
    public async Task ReadOnlyKey_IsForbiddenToWrite()
    {
        var readOnly = GeneratedClients.For(api, await api.CreateKeyAsync(ApiServer.AccountId, KeyPolicy.ReadOnly));
        var mesh = GeneratedClients.NewMeshName();

        var error = await Assert.ThrowsAsync<AppMeshApiException<ErrorBody>>(() => readOnly.CreateMeshAsync(new CreateMeshInput { MeshName = mesh }));

        AssertError(error, 403, "ForbiddenException");
        Assert.NotNull(await readOnly.ListMeshesAsync());
    }

    [Fact]
    public async Task UnknownAccessKey_IsAnAuthenticationErrorTheDocumentDeclares()
    {
        using var http = new HttpClient(new SigningHandler("AKIAUNKNOWNKEY000000", "not-a-secret", ApiServer.Region)) { BaseAddress = api.BaseAddress };
        var stranger = new AppMeshClient(http) { BaseUrl = api.BaseAddress.ToString() };

        var error = await Assert.ThrowsAsync<AppMeshApiException<ErrorBody>>(() => stranger.ListMeshesAsync());

        AssertError(error, 403, "UnrecognizedClientException");
    }

    private static void AssertError(AppMeshApiException<ErrorBody> error, int status, string code)
    {
        Assert.Equal(status, error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(error.Result.Message), "the error body has no message");
        Assert.Equal([code], error.Headers["x-amzn-ErrorType"]);
    }
}
