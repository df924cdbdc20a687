using System.Text.RegularExpressions;
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
    public void TheBootstrapTheDocsWrite_LogsOutlierEventsInTheUnitsLogsDirectory_NotToTheJournalsSocket()
    {
        // Under systemd, stdout is the journal's socket: Envoy opens event_log_path as a file, cannot open a socket,
        // and would not start with the bootstrap's default /dev/stdout. ProtectSystem=strict leaves it only the
        // unit's LogsDirectory= to write to.
        var docs = File.ReadAllText(Repository.PathOf("docs/vms.md"));
        var unit = File.ReadAllText(Repository.PathOf("deploy/systemd/mesh-envoy.service"));

        var bootstrapUrl = Regex.Match(docs, @"'(http://[^']*/envoy/bootstrap\?[^']*)'");
        Assert.True(bootstrapUrl.Success, "docs/vms.md fetches no bootstrap from /envoy/bootstrap");
        var eventLog = Regex.Match(bootstrapUrl.Groups[1].Value, "[?&]outlier-event-log=([^&]+)");
        Assert.True(eventLog.Success, $"the bootstrap leaves outlier events on /dev/stdout: {bootstrapUrl.Groups[1].Value}");
        var logsDirectory = Regex.Match(unit, @"^LogsDirectory=(\S+)$", RegexOptions.Multiline);
        Assert.True(logsDirectory.Success, "mesh-envoy.service has no LogsDirectory= for Envoy to write to");
        Assert.StartsWith($"/var/log/{logsDirectory.Groups[1].Value}/", eventLog.Groups[1].Value);
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
