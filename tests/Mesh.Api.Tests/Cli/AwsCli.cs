using Mesh.Testing;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Mesh.Api.Tests.Cli;

/// <summary>
/// One installed AWS CLI binary (v1 from pip, v2 from Debian's awscli package), run as a user would run
/// it: no config or credentials files, the test API's admin key in the environment, no pager, JSON output, and the
/// API's endpoint URL. Each run is a real process; nothing in the CLI is stubbed.
/// </summary>
public sealed partial class AwsCli
{
    public const string Region = "us-east-1";

    private static readonly Lazy<Task<IReadOnlyDictionary<int, AwsCli>>> Installed = new(DiscoverAsync);
    private static readonly string MissingFiles = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mesh-cli-tests-{Guid.NewGuid():N}", "missing");

    private AwsCli(int majorVersion, string path, string version)
    {
        MajorVersion = majorVersion;
        Path = path;
        Version = version;
    }

    public int MajorVersion { get; }

    public string Path { get; }

    public string Version { get; }

    /// <summary>Exit code for an error the service returned: v1 exits 255 for every error, v2 uses 254.</summary>
    public int ServiceErrorExitCode => MajorVersion == 1 ? 255 : 254;

    /// <summary>Exit code when the CLI refuses the parameters before sending anything: v1 255, v2 252.</summary>
    public int ParameterValidationExitCode => MajorVersion == 1 ? 255 : 252;

    /// <summary>
    /// The CLI of this major version. Fails the test when it is not installed: a missing v2 must show up
    /// as a failure, never as a silent pass (CI installs it with Debian's awscli package).
    /// </summary>
    public static async Task<AwsCli> GetAsync(int majorVersion)
    {
        var installed = await Installed.Value;
        if (installed.TryGetValue(majorVersion, out var cli))
        {
            return cli;
        }

        var hint = majorVersion == 2
            ? "install Debian's awscli package (apt-get install awscli), which puts v2 at /usr/bin/aws, or set MESH_AWS_CLI_V2"
            : "install it (pip install awscli) so that 'aws' on PATH is v1, or set MESH_AWS_CLI_V1";
        var found = installed.Count == 0 ? "none" : string.Join(", ", installed.Values.Select(c => $"{c.Version} at {c.Path}"));
        Assert.Fail($"AWS CLI v{majorVersion} is not installed ({hint}). Found: {found}.");
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Runs <c>aws appmesh &lt;arguments&gt;</c> against the API.</summary>
    public Task<ProcessResult> AppMeshAsync(Uri endpoint, params string[] arguments) =>
        ExternalProcess.RunAsync(
            Path,
            ["appmesh", .. arguments, "--endpoint-url", endpoint.ToString().TrimEnd('/'), "--region", Region, "--output", "json"],
            Environment(endpoint));

    /// <summary>
    /// Runs <c>aws servicediscovery &lt;arguments&gt;</c> against the API, configured as docs/cloud-map.md tells a user:
    /// DiscoverInstances goes to a <c>data-</c> host in AWS. v1 is told not to add the prefix
    /// (<c>AWS_DISABLE_HOST_PREFIX_INJECTION</c>); v2 as Debian ships it (2.9) has no such setting and sends to
    /// <c>data-&lt;host&gt;</c>, so it reaches the API through the API itself as its HTTP proxy (a name that resolves
    /// for <c>data-&lt;host&gt;</c> works as well).
    /// </summary>
    public Task<ProcessResult> ServiceDiscoveryAsync(Uri endpoint, params string[] arguments)
    {
        var environment = Environment(endpoint);
        environment["AWS_DISABLE_HOST_PREFIX_INJECTION"] = "true";
        if (MajorVersion == 2 && arguments.Length > 0 && arguments[0].StartsWith("discover-instances", StringComparison.Ordinal))
        {
            environment["HTTP_PROXY"] = endpoint.GetLeftPart(UriPartial.Authority);
            environment["NO_PROXY"] = "";
        }

        return ExternalProcess.RunAsync(
            Path,
            ["servicediscovery", .. arguments, "--endpoint-url", endpoint.ToString().TrimEnd('/'), "--region", Region, "--output", "json"],
            environment);
    }

    /// <summary>Runs <c>aws sts &lt;arguments&gt;</c> against the API, with the given key (the admin key when none is given).</summary>
    public Task<ProcessResult> StsAsync(Uri endpoint, IssuedKeyPair? key, params string[] arguments)
    {
        var environment = Environment(endpoint);
        if (key is { } k)
        {
            environment["AWS_ACCESS_KEY_ID"] = k.AccessKeyId;
            environment["AWS_SECRET_ACCESS_KEY"] = k.SecretAccessKey;
        }

        return ExternalProcess.RunAsync(
            Path,
            ["sts", .. arguments, "--endpoint-url", endpoint.ToString().TrimEnd('/'), "--region", Region, "--output", "json"],
            environment);
    }

    /// <summary>An access key id and its secret, for a command run as another key than the admin's.</summary>
    public readonly record struct IssuedKeyPair(string AccessKeyId, string SecretAccessKey);

    /// <summary>Runs a servicediscovery command that must succeed and returns the JSON it printed (null when it prints nothing).</summary>
    public async Task<JsonNode?> CloudMapSucceedAsync(Uri endpoint, params string[] arguments)
    {
        var result = await ServiceDiscoveryAsync(endpoint, arguments);
        Assert.True(result.ExitCode == 0, $"Expected exit code 0.\n{result}");
        return result.Stdout.Trim().Length == 0 ? null : JsonNode.Parse(result.Stdout);
    }

    /// <summary>Runs a servicediscovery command that the service must refuse with the given Cloud Map error.</summary>
    public async Task<ProcessResult> CloudMapFailWithAsync(Uri endpoint, string errorCode, params string[] arguments)
    {
        var result = await ServiceDiscoveryAsync(endpoint, arguments);
        Assert.True(result.ExitCode == ServiceErrorExitCode,
            $"Expected exit code {ServiceErrorExitCode} (a service error from CLI v{MajorVersion}).\n{result}");
        Assert.True(result.Stderr.Contains($"An error occurred ({errorCode})", StringComparison.Ordinal),
            $"Expected {errorCode} in stderr.\n{result}");
        return result;
    }

    /// <summary>Runs an appmesh command that must succeed and returns the JSON it printed (null when it prints nothing).</summary>
    public async Task<JsonNode?> SucceedAsync(Uri endpoint, params string[] arguments)
    {
        var result = await AppMeshAsync(endpoint, arguments);
        Assert.True(result.ExitCode == 0, $"Expected exit code 0.\n{result}");
        return result.Stdout.Trim().Length == 0 ? null : JsonNode.Parse(result.Stdout);
    }

    /// <summary>Runs an appmesh command that the service must refuse with the given App Mesh error.</summary>
    public async Task<ProcessResult> FailWithAsync(Uri endpoint, string errorCode, params string[] arguments)
    {
        var result = await AppMeshAsync(endpoint, arguments);
        Assert.True(result.ExitCode == ServiceErrorExitCode,
            $"Expected exit code {ServiceErrorExitCode} (a service error from CLI v{MajorVersion}).\n{result}");
        Assert.True(result.Stderr.Contains($"An error occurred ({errorCode})", StringComparison.Ordinal),
            $"Expected {errorCode} in stderr.\n{result}");
        Assert.True(result.Stdout.Trim().Length == 0, $"Expected nothing on stdout.\n{result}");
        return result;
    }

    /// <summary>
    /// A timestamp as this CLI prints it with default settings: v1 prints the epoch seconds the service
    /// sent; v2 parses them and prints ISO 8601. Either way the instant must be the one the API holds.
    /// </summary>
    public DateTimeOffset Timestamp(JsonNode? printed)
    {
        Assert.NotNull(printed);
        if (MajorVersion == 1)
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Number, printed.GetValueKind());
            return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(printed.GetValue<double>() * 1000));
        }

        Assert.Equal(System.Text.Json.JsonValueKind.String, printed.GetValueKind());
        var text = printed.GetValue<string>();
        Assert.Matches(IsoTimestamp(), text);
        return DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, string?> Environment(Uri endpoint)
    {
        var environment = Environment();
        var key = Infrastructure.ApiServer.AdminKeyFor(endpoint);
        environment["AWS_ACCESS_KEY_ID"] = key.AccessKeyId;
        environment["AWS_SECRET_ACCESS_KEY"] = key.SecretAccessKey;
        return environment;
    }

    private static Dictionary<string, string?> Environment()
    {
        var environment = ExternalProcess.EnvironmentWithout("AWS_");
        environment["AWS_CONFIG_FILE"] = System.IO.Path.Combine(MissingFiles, "config");
        environment["AWS_SHARED_CREDENTIALS_FILE"] = System.IO.Path.Combine(MissingFiles, "credentials");
        environment["AWS_PAGER"] = "";
        environment["AWS_EC2_METADATA_DISABLED"] = "true";
        // One attempt: a 5xx or throttle must show up as the error it is, not be retried away.
        environment["AWS_MAX_ATTEMPTS"] = "1";
        return environment;
    }

    private static async Task<IReadOnlyDictionary<int, AwsCli>> DiscoverAsync()
    {
        var candidates = new List<string>();
        foreach (var variable in new[] { "MESH_AWS_CLI_V1", "MESH_AWS_CLI_V2" })
        {
            if (System.Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured)
            {
                candidates.Add(configured);
            }
        }

        candidates.AddRange(ExternalProcess.FindAllOnPath("aws"));
        // Where pip (under pyenv, when PATH lacks its shims) and Debian's awscli package put the binary.
        candidates.AddRange([ExternalProcess.InPyenvShims("aws"), "/usr/local/bin/aws", "/usr/bin/aws"]);

        var found = new Dictionary<int, AwsCli>();
        foreach (var candidate in candidates.Where(File.Exists).Distinct(StringComparer.Ordinal))
        {
            var result = await ExternalProcess.RunAsync(candidate, ["--version"], Environment());
            var match = VersionLine().Match(result.Stdout + result.Stderr);
            if (result.ExitCode == 0 && match.Success)
            {
                var major = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                found.TryAdd(major, new AwsCli(major, candidate, match.Value));
            }
        }

        return found;
    }

    [GeneratedRegex(@"aws-cli/(\d+)\.\d+\.\d+")]
    private static partial Regex VersionLine();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$")]
    private static partial Regex IsoTimestamp();
}
