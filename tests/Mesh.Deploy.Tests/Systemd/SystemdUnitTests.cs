using Mesh.Deploy.Tests.Support;

namespace Mesh.Deploy.Tests.Systemd;

/// <summary>deploy/systemd, the units docs/vms.md installs, checked by systemd's own verifier.</summary>
public sealed class SystemdUnitTests
{
    private static readonly string[] Units = ["mesh-envoy.service", "mesh-proxy-init.service"];

    // What the units run once docs/vms.md's install steps are done; this machine has neither installed.
    private static readonly string[] InstalledLater = ["/usr/local/bin/envoy", "/usr/local/bin/mesh-proxy-init"];

    [Fact]
    public async Task TheUnits_PassSystemdAnalyzeVerify_ApartFromTheBinariesTheDocsInstall()
    {
        var result = await Command.RunAsync("systemd-analyze", ["verify", .. Units.Select(u => Repository.PathOf($"deploy/systemd/{u}"))]);

        var complaints = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !InstalledLater.Any(binary => line.EndsWith($"Command {binary} is not executable: No such file or directory", StringComparison.Ordinal)))
            .ToList();
        Assert.True(complaints.Count == 0, string.Join('\n', complaints));
    }

    [Fact]
    public void ProxyInit_RunsAfterEnvoy_AndCleansUpWhenEnvoyStops()
    {
        var unit = File.ReadAllText(Repository.PathOf("deploy/systemd/mesh-proxy-init.service"));

        Assert.Contains("ExecStart=/usr/local/bin/mesh-proxy-init\n", unit);
        Assert.Contains("ExecStop=/usr/local/bin/mesh-proxy-init --clean\n", unit);
        Assert.Contains("BindsTo=mesh-envoy.service\n", unit);
        Assert.Contains("After=mesh-envoy.service\n", unit);
    }
}
