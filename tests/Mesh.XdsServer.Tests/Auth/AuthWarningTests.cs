using Mesh.Testing;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.Auth;

/// <summary>Turning authentication off is explicit and says so at start.</summary>
public sealed class AuthWarningTests
{
    [Fact]
    public async Task Mode_None_Logs_A_Warning_At_Start()
    {
        var logs = new CapturingLoggerProvider();
        await using (await XdsTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Xds:Auth:Mode"] = "None" },
            services: s => s.AddSingleton<ILoggerProvider>(logs)))
        {
        }

        var warning = Assert.Single(logs.Entries, e => e.Category == "Mesh.XdsServer.Auth" && e.Level == LogLevel.Warning);
        Assert.Contains("xDS proxy authentication is OFF (Xds:Auth:Mode=None)", warning.Message);
    }
}
