using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Auth;

/// <summary>Authentication is on unless turned off explicitly, and a server that cannot check what it must does not start.</summary>
public sealed class AuthStartupTests
{
    [Fact]
    public async Task SigV4_Is_The_Default_And_Needs_The_Key_Store()
    {
        var error = await Assert.ThrowsAsync<XdsConfigurationException>(() =>
            XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:Auth:Mode"] = null }));
        Assert.Contains("Xds:Auth:Mode is SigV4 (the default)", error.Message);
        Assert.Contains("Mesh:Auth:MasterKey", error.Message);
    }

    [Fact]
    public async Task MutualTls_Needs_The_Tls_Settings()
    {
        var error = await Assert.ThrowsAsync<XdsConfigurationException>(() =>
            XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:Auth:Mode"] = "MutualTls" }));
        Assert.Contains("Xds:Tls:ClientCaPath", error.Message);
    }
}
