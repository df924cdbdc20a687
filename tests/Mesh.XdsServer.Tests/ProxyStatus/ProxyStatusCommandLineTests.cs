using Mesh.XdsServer.ProxyStatus;

namespace Mesh.XdsServer.Tests.ProxyStatus;

/// <summary>The proxy-status command's arguments: bad usage is one line and exit 2, before any replica is asked.</summary>
public sealed class ProxyStatusCommandLineTests
{
    [Theory]
    [InlineData("--jsn", "'--jsn'")]
    [InlineData("--url", "'--url'")]
    [InlineData("extra", "'extra'")]
    public async Task Bad_Usage_Is_One_Line_Naming_The_Problem_And_Exits_2(string arg, string named)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await ProxyStatusCommand.RunAsync([arg], output, error, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Equal("", output.ToString());
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("proxy-status: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_Names_Every_Option_And_Exits_0(string flag)
    {
        using var output = new StringWriter();

        var exit = await ProxyStatusCommand.RunAsync([flag], output, TextWriter.Null, CancellationToken.None);

        Assert.Equal(0, exit);
        Assert.Contains("Mesh.XdsServer proxy-status [options]", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("--url <admin url>", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("--json", output.ToString(), StringComparison.Ordinal);
        Assert.Contains(ProxyStatusCommand.DefaultUrl, output.ToString(), StringComparison.Ordinal);
    }
}
