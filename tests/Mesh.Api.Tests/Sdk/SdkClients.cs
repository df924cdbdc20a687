using Mesh.Testing;
using System.Text.Json.Nodes;
using Mesh.Api.Tests.Cli;

namespace Mesh.Api.Tests.Sdk;

/// <summary>One call for a driver script: the operation's name as the model spells it, and its input.</summary>
public sealed record SdkCall(string Operation, JsonObject Input)
{
    public JsonObject ToJson() => new() { ["operation"] = Operation, ["input"] = Input.DeepClone() };
}

/// <summary>
/// Drives the driver scripts in tests/clients: the AWS SDK for JavaScript v3 (appmesh-sdk.mjs, from the
/// pinned, locked npm package) and boto3 (boto3_appmesh.py). Each run sends a list of calls and returns
/// what the SDK made of each response.
/// </summary>
public static class SdkClients
{
    private static readonly Lazy<Task<string>> NodeModules = new(EnsureNodeModulesAsync);
    private static readonly Lazy<Task<string>> BotoPython = new(FindBotoPythonAsync);

    /// <summary>tests/clients in this checkout.</summary>
    public static string ClientsDirectory { get; } = FindClientsDirectory();

    public static async Task<JsonArray> RunJavaScriptAsync(Uri endpoint, (string AccessKeyId, string SecretAccessKey) credentials, params SdkCall[] calls)
    {
        await NodeModules.Value;
        return await RunDriverAsync(Node(), [Path.Combine(ClientsDirectory, "appmesh-sdk.mjs"), Endpoint(endpoint)], credentials, calls);
    }

    public static async Task<JsonArray> RunBoto3Async(Uri endpoint, (string AccessKeyId, string SecretAccessKey) credentials, params SdkCall[] calls)
    {
        var python = await BotoPython.Value;
        return await RunDriverAsync(python, [Path.Combine(ClientsDirectory, "boto3_appmesh.py"), Endpoint(endpoint)], credentials, calls);
    }

    /// <summary>Cloud Map calls through @aws-sdk/client-servicediscovery (with disableHostPrefix).</summary>
    public static async Task<JsonArray> RunJavaScriptCloudMapAsync(Uri endpoint, (string AccessKeyId, string SecretAccessKey) credentials, params SdkCall[] calls)
    {
        await NodeModules.Value;
        return await RunDriverAsync(Node(), [Path.Combine(ClientsDirectory, "appmesh-sdk.mjs"), Endpoint(endpoint), "servicediscovery"], credentials, calls);
    }

    /// <summary>Cloud Map calls through boto3's servicediscovery client (with inject_host_prefix=False).</summary>
    public static async Task<JsonArray> RunBoto3CloudMapAsync(Uri endpoint, (string AccessKeyId, string SecretAccessKey) credentials, params SdkCall[] calls)
    {
        var python = await BotoPython.Value;
        return await RunDriverAsync(python, [Path.Combine(ClientsDirectory, "boto3_appmesh.py"), Endpoint(endpoint), "servicediscovery"], credentials, calls);
    }

    private static async Task<JsonArray> RunDriverAsync(string program, string[] arguments, (string AccessKeyId, string SecretAccessKey) credentials, SdkCall[] calls)
    {
        var environment = ExternalProcess.EnvironmentWithout("AWS_");
        environment["AWS_ACCESS_KEY_ID"] = credentials.AccessKeyId;
        environment["AWS_SECRET_ACCESS_KEY"] = credentials.SecretAccessKey;
        environment["AWS_CONFIG_FILE"] = Path.Combine(ClientsDirectory, "no-such-dir", "config");
        environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(ClientsDirectory, "no-such-dir", "credentials");
        environment["AWS_EC2_METADATA_DISABLED"] = "true";
        environment["NODE_NO_WARNINGS"] = "1";

        var plan = new JsonArray(calls.Select(c => (JsonNode)c.ToJson()).ToArray()).ToJsonString();
        var result = await ExternalProcess.RunAsync(program, arguments, environment, standardInput: plan, workingDirectory: ClientsDirectory);
        Assert.True(result.ExitCode == 0, $"The driver failed.\n{result}");
        var results = JsonNode.Parse(result.Stdout)!.AsArray();
        Assert.True(results.Count == calls.Length, $"Expected {calls.Length} results.\n{result}");
        return results;
    }

    private static string Endpoint(Uri endpoint) => endpoint.ToString().TrimEnd('/');

    private static string Node() =>
        ExternalProcess.FindAllOnPath("node").FirstOrDefault()
        ?? throw new InvalidOperationException("node is not on PATH; the JavaScript SDK suite needs Node.js 18 or later.");

    /// <summary>Runs <c>npm ci</c> in tests/clients when a pinned SDK is not installed there, so a fresh clone works.</summary>
    private static async Task<string> EnsureNodeModulesAsync()
    {
        var dependencies = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ClientsDirectory, "package.json")))!["dependencies"]!.AsObject();
        var stale = false;
        foreach (var (package, version) in dependencies)
        {
            var installedManifest = Path.Combine(ClientsDirectory, "node_modules", package, "package.json");
            var installed = File.Exists(installedManifest)
                ? JsonNode.Parse(await File.ReadAllTextAsync(installedManifest))!["version"]!.GetValue<string>()
                : null;
            stale |= installed != version!.GetValue<string>();
        }

        if (stale)
        {
            var npm = ExternalProcess.FindAllOnPath("npm").FirstOrDefault()
                ?? throw new InvalidOperationException("npm is not on PATH; it installs tests/clients (npm ci).");
            var result = await ExternalProcess.RunAsync(npm, ["ci", "--no-audit", "--no-fund", "--loglevel=error"],
                workingDirectory: ClientsDirectory, timeout: TimeSpan.FromMinutes(10));
            Assert.True(result.ExitCode == 0, $"npm ci in {ClientsDirectory} failed.\n{result}");
        }

        return ClientsDirectory;
    }

    /// <summary>The first python3 (on PATH, then Debian's) that can import boto3.</summary>
    private static async Task<string> FindBotoPythonAsync()
    {
        var candidates = ExternalProcess.FindAllOnPath("python3").Append(ExternalProcess.InPyenvShims("python3")).Append("/usr/bin/python3").Where(File.Exists).Distinct().ToList();
        foreach (var python in candidates)
        {
            var result = await ExternalProcess.RunAsync(python, ["-c", "import boto3"]);
            if (result.ExitCode == 0)
            {
                return python;
            }
        }

        throw new InvalidOperationException(
            $"No python3 can import boto3 (tried {string.Join(", ", candidates)}); install it (pip install boto3, or apt-get install python3-boto3).");
    }

    private static string FindClientsDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "clients");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"tests/clients/package.json was not found above {AppContext.BaseDirectory}.");
    }
}
