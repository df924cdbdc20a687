using System.Text.Json.Nodes;
using Mesh.Testing;

namespace Mesh.XdsServer.Tests.EndToEnd;

/// <summary>Runs the real <c>aws appmesh</c> and <c>aws servicediscovery</c> CLI against an <see cref="ApiProcess"/>, signed with its admin key.</summary>
public sealed class AwsCli(ApiProcess api)
{
    public Task<JsonNode?> AppMeshAsync(params string[] arguments) => RunAsync("appmesh", arguments);

    public Task<JsonNode?> ServiceDiscoveryAsync(params string[] arguments) => RunAsync("servicediscovery", arguments);

    private async Task<JsonNode?> RunAsync(string service, string[] arguments)
    {
        var environment = ExternalProcess.EnvironmentWithout("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE");
        environment["AWS_SHARED_CREDENTIALS_FILE"] = api.CredentialsFile;
        environment["AWS_CONFIG_FILE"] = api.CredentialsFile + ".missing";
        environment["AWS_PAGER"] = "";
        environment["AWS_DISABLE_HOST_PREFIX_INJECTION"] = "true";

        var result = await ExternalProcess.RunAsync(
            "aws",
            [service, .. arguments, "--endpoint-url", api.Endpoint.ToString().TrimEnd('/'), "--region", "us-east-1", "--output", "json"],
            environment);
        Assert.True(result.ExitCode == 0, $"aws {service} {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Stderr}");
        return result.Stdout.Trim().Length == 0 ? null : JsonNode.Parse(result.Stdout);
    }
}
