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

    /// <summary>
    /// A replica whose report holds null where a list's element is (a <c>warningDetails</c> of <c>[null]</c>, which
    /// the table's WARNING lines failed on with a NullReferenceException) is named unreachable with where, as a
    /// replica answering another malformed report is; the other replicas' proxies are printed.
    /// </summary>
    [Theory]
    [InlineData("""{"warningDetails": [null]}""", "proxies[0].warningDetails[0]")]
    [InlineData("""{"warnings": ["a", null]}""", "proxies[0].warnings[1]")]
    [InlineData("""{"types": {"cds": null}}""", "proxies[0].types.cds")]
    public async Task A_Replica_Whose_Report_Holds_A_Null_Element_Is_Named_Unreachable(string members, string path)
    {
        var lines = await RunBesideAGoodReplicaAsync(ValidProxyWith(members));

        Assert.Contains($"UNREACHABLE http://bad: its report holds null at {path}", lines);
        Assert.Contains("WARNING m no_route: w", lines);
        Assert.Equal("1 proxy on 1 replica (good)", lines[^1]);
    }

    /// <summary>
    /// A replica whose report holds null in a member that is never null (a proxy's nodeId or replica, a warning's
    /// kind, a type's sync), which the table's lines failed on, is named unreachable with the member; the other
    /// replicas' proxies are printed.
    /// </summary>
    [Theory]
    [InlineData("""{"nodeId": null}""", "nodeId")]
    [InlineData("""{"replica": null}""", "replica")]
    [InlineData("""{"warningDetails": [{"kind": null, "message": "w"}]}""", "kind")]
    [InlineData("""{"types": {"cds": {"sync": null, "resources": 1, "acked": 1}}}""", "sync")]
    public async Task A_Replica_Whose_Report_Holds_Null_In_A_Member_Never_Null_Is_Named_Unreachable(string members, string member)
    {
        var lines = await RunBesideAGoodReplicaAsync(ValidProxyWith(members));

        var unreachable = Assert.Single(lines, l => l.StartsWith("UNREACHABLE http://bad: ", StringComparison.Ordinal));
        Assert.Contains(member, unreachable, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("1 proxy on 1 replica (good)", lines[^1]);
    }

    /// <summary>
    /// A replica whose report leaves out a member that is never null (an older or foreign replica's: System.Text.Json
    /// reads it as null) is named unreachable with the member's path, as one holding null there is; the table's lines
    /// failed on it with a NullReferenceException.
    /// </summary>
    [Theory]
    [InlineData("""{"replica": "bad", "streamId": 1, "variant": "ads", "types": {}}""", "proxies[0].nodeId")]
    [InlineData("""{"streamId": 1, "variant": "ads", "nodeId": "n", "types": {}}""", "proxies[0].replica")]
    [InlineData("""{"replica": "bad", "streamId": 1, "variant": "ads", "nodeId": "n", "types": {}, "warningDetails": [{"message": "w"}]}""", "proxies[0].warningDetails[0].kind")]
    [InlineData("""{"replica": "bad", "streamId": 1, "variant": "ads", "nodeId": "n", "types": {"cds": {"resources": 1, "acked": 1}}}""", "proxies[0].types.cds.sync")]
    [InlineData("""{"replica": "bad", "streamId": 1, "variant": "ads", "nodeId": "n", "types": {}, "registration": {"instanceId": "i"}}""", "proxies[0].registration.state")]
    public async Task A_Replica_Whose_Report_Leaves_Out_A_Member_Never_Null_Is_Named_Unreachable(string proxy, string path)
    {
        var lines = await RunBesideAGoodReplicaAsync(proxy);

        Assert.Contains($"UNREACHABLE http://bad: its report holds null at {path}", lines);
        Assert.Equal("1 proxy on 1 replica (good)", lines[^1]);
    }

    /// <summary>A valid proxy entry of replica bad, with <paramref name="members"/> set over it.</summary>
    private static string ValidProxyWith(string members)
    {
        var proxy = System.Text.Json.Nodes.JsonNode.Parse("""{"replica": "bad", "streamId": 1, "variant": "ads", "nodeId": "n", "types": {}}""")!.AsObject();
        foreach (var (name, value) in System.Text.Json.Nodes.JsonNode.Parse(members)!.AsObject())
        {
            proxy[name] = value?.DeepClone();
        }

        return proxy.ToJsonString();
    }

    /// <summary>
    /// Runs the command over replica bad, whose report holds <paramref name="badProxy"/>, and replica good, whose one
    /// proxy m has one warning; the command's lines (it exits 0: one replica answered).
    /// </summary>
    private static async Task<string[]> RunBesideAGoodReplicaAsync(string badProxy)
    {
        using var handler = new Answers(new Dictionary<string, string>
        {
            ["http://bad/proxy-status?local=true"] = $$"""{"generatedAt": "2026-12-07T00:00:00Z", "replicas": ["bad"], "proxies": [{{badProxy}}], "unreachable": []}""",
            ["http://good/proxy-status?local=true"] = """{"generatedAt": "2026-12-07T00:00:00Z", "replicas": ["good"], "proxies": [{"replica": "good", "streamId": 2, "variant": "ads", "nodeId": "m", "types": {}, "warningDetails": [{"kind": "no_route", "message": "w"}]}], "unreachable": []}""",
        });
        using var output = new StringWriter();

        var exit = await ProxyStatusCommand.RunAsync(["--url", "http://bad", "--url", "http://good"], output, TextWriter.Null, CancellationToken.None, handler);

        Assert.Equal(0, exit);
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Answers each URL with its JSON.</summary>
    private sealed class Answers(Dictionary<string, string> answers) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK)
            {
                Content = new StringContent(answers[request.RequestUri!.ToString()], System.Text.Encoding.UTF8, "application/json"),
            });
    }
}
