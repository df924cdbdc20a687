using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Mesh.XdsServer.Tests.EndToEnd;

/// <summary>Runs the real <c>aws appmesh</c> and <c>aws servicediscovery</c> CLI against an <see cref="ApiProcess"/>, signed with its admin key.</summary>
public sealed class AwsCli(ApiProcess api)
{
    public Task<JsonNode?> AppMeshAsync(params string[] arguments) => RunAsync("appmesh", arguments);

    public Task<JsonNode?> ServiceDiscoveryAsync(params string[] arguments) => RunAsync("servicediscovery", arguments);

    private async Task<JsonNode?> RunAsync(string service, string[] arguments)
    {
        var start = new ProcessStartInfo("aws") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[service, .. arguments, "--endpoint-url", api.Endpoint.ToString().TrimEnd('/'), "--region", "us-east-1", "--output", "json"])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = api.CredentialsFile;
        start.Environment["AWS_CONFIG_FILE"] = api.CredentialsFile + ".missing";
        start.Environment["AWS_PAGER"] = "";
        start.Environment["AWS_DISABLE_HOST_PREFIX_INJECTION"] = "true";
        start.Environment.Remove("AWS_ACCESS_KEY_ID");
        start.Environment.Remove("AWS_SECRET_ACCESS_KEY");
        start.Environment.Remove("AWS_PROFILE");

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"aws {service} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        var text = await stdout;
        return text.Trim().Length == 0 ? null : JsonNode.Parse(text);
    }
}
