using Mesh.Api.Client;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>The generated client was built from exactly the document the running API serves.</summary>
public sealed class GeneratedClientDocumentTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task ClientWasGeneratedFromTheServedDocument()
    {
        var served = await api.Client.GetByteArrayAsync("/openapi/v1.json");

        // The client project embeds the document it generated from (written by `Mesh.Api openapi` at build time).
        await using var stream = typeof(AppMeshClient).Assembly.GetManifestResourceStream("appmesh.openapi.json")!;
        using var embedded = new MemoryStream();
        await stream.CopyToAsync(embedded);

        Assert.True(served.Length > 100_000, $"the served document is only {served.Length} bytes");
        Assert.Equal(served, embedded.ToArray());
    }
}
