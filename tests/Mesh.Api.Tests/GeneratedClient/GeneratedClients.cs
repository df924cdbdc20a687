using Mesh.Api.Client;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Security;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>
/// The NSwag client generated from the OpenAPI document, pointed at a test server. It sends through the
/// fixture's signing handler, because SigV4 is a transport concern the document does not describe.
/// </summary>
public static class GeneratedClients
{
    public static AppMeshClient For(ApiServer api) => new(api.Client) { BaseUrl = api.BaseAddress.ToString() };

    public static AppMeshClient For(ApiServer api, IssuedKey key) => new(api.CreateClient(key)) { BaseUrl = api.BaseAddress.ToString() };

    public static string NewMeshName() => "gen-" + Guid.NewGuid().ToString("N")[..10];
}
