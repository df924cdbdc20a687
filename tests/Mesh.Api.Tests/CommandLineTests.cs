using System.Diagnostics;

namespace Mesh.Api.Tests;

/// <summary>The API binary as an operator first meets it: help, and a plain message when it is not configured.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task Without_A_Connection_String_It_Says_What_To_Set_And_Exits_2()
    {
        var (code, output, error) = await RunAsync();

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("ConnectionStrings:Mesh is not configured", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keys", "--help")]
    [InlineData("audit", "list", "-h")]
    public async Task Operator_Command_Help_Needs_No_Configuration(params string[] args)
    {
        var (code, output, _) = await RunAsync(args);

        Assert.Equal(0, code);
        Assert.Contains("Mesh.Api keys create --account", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    [InlineData("--urls", "http://127.0.0.1:0", "--help")]
    public async Task Help_Lists_Every_Command_Without_A_Database(params string[] args)
    {
        var (code, output, error) = await RunAsync(args);

        Assert.Equal(0, code);
        Assert.Equal("", error);
        foreach (var command in new[] { "Mesh.Api keys", "Mesh.Api audit list", "Mesh.Api bootstrap --node", "Mesh.Api openapi", "Mesh.Api --version" })
        {
            Assert.Contains(command, output, StringComparison.Ordinal);
        }

        Assert.Contains("ConnectionStrings__Mesh", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keys")]
    [InlineData("audit")]
    [InlineData("keys", "create", "--help")]
    [InlineData("help", "keys")]
    [InlineData("keys", "help")]
    [InlineData("audit", "help")]
    public async Task A_Command_Group_Alone_Or_With_Help_Shows_Its_Subcommands(params string[] args)
    {
        var (code, output, _) = await RunAsync(args);

        Assert.Equal(0, code);
        Assert.Contains("Mesh.Api keys revoke <access key id>", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("openapi", "--help", "Usage: Mesh.Api openapi [--out <file>]")]
    [InlineData("help", "openapi", "Usage: Mesh.Api openapi [--out <file>]")]
    [InlineData("bootstrap", "-h", "Mesh.Api bootstrap --node <arn")]
    [InlineData("help", "bootstrap", "Mesh.Api bootstrap --node <arn")]
    public async Task Each_Command_Has_Help(string command, string flag, string expected)
    {
        var (code, output, _) = await RunAsync(command, flag);

        Assert.Equal(0, code);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("keys", "--version")]
    [InlineData("openapi", "--version")]
    [InlineData("bootstrap", "--version")]
    public async Task Version_Answers_On_Every_Command_Without_A_Database(params string[] args)
    {
        var (code, output, error) = await RunAsync(args);

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Matches(@"^Mesh\.Api \d+\.\d+\.\d+\S* \(App Mesh API 2019-01-25\)\n$", output);
    }

    [Fact]
    public async Task An_Unknown_Command_Is_Named_With_The_Usage_And_Exits_2()
    {
        var (code, output, _) = await RunAsync("kyes", "list");

        Assert.Equal(2, code);
        Assert.StartsWith("Mesh.Api has no command 'kyes'.", output, StringComparison.Ordinal);
        Assert.Contains("Mesh.Api keys <subcommand>", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("'--acount'", "keys", "create", "--acount", "111122223333", "--admin")]
    [InlineData("--account", "keys", "create", "--admin")]
    [InlineData("keys create needs at least one of --admin, --read-only, --proxy, --allow.", "keys", "create", "--account", "111122223333")]
    [InlineData("--allow takes \"<actions> on <resources>\", not 'appmesh:*'.", "keys", "create", "--account", "111122223333", "--allow", "appmesh:*")]
    [InlineData("Required argument missing for command: 'revoke'", "keys", "revoke")]
    [InlineData("'extra'", "keys", "list", "extra")]
    [InlineData("--since takes an ISO 8601 time, not 'yesterday'.", "audit", "list", "--since", "yesterday")]
    public async Task Operator_Command_Misuse_Names_The_Problem_With_The_Usage_And_Exits_2(string problem, params string[] args)
    {
        // Configured, but with no database behind it: misuse is refused before any query.
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Mesh"] = "Host=127.0.0.1;Port=1;Database=mesh;Username=mesh;Timeout=1",
            ["Mesh__Auth__MasterKey"] = Convert.ToBase64String(new byte[32]),
        };

        var (code, output, error) = await RunAsync(environment, args);

        Assert.True(code == 2, $"exit code {code}; stdout: {output}; stderr: {error}");
        Assert.Contains(problem, output.Split('\n')[0], StringComparison.Ordinal);
        Assert.Contains("Mesh.Api keys revoke <access key id>", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mesh__AccountId", "12", "Mesh:AccountId must be 12 digits")]
    [InlineData("Mesh__Region", "", "Mesh:Region must not be empty")]
    [InlineData("Mesh__Auth__RequestsPerSecond", "0", "Mesh:Auth:RequestsPerSecond must be at least 1.")]
    [InlineData("Mesh__ReadCache__BarriersInFlight", "0", "Mesh:ReadCache:BarriersInFlight must be from 1 to 64")]
    [InlineData("Mesh__WritesInFlight", "0", "Mesh:WritesInFlight must be from 1 to 1024")]
    [InlineData("Mesh__Retention__AuditLog", "-1.00:00:00", "Mesh:Retention:AuditLog must be 0 (keep forever) or a positive time span")]
    [InlineData("Mesh__Retention__ChangeLog", "00:05:00", "Mesh:Retention:ChangeLog must be 0 (keep forever) or at least 01:00:00")]
    [InlineData("Mesh__Retention__Interval", "0", "Mesh:Retention:Interval must be from 00:00:01 to 30.00:00:00")]
    [InlineData("Mesh__Retention__CloudMapOperations", "90d", "Failed to convert configuration value '90d' at 'Mesh:Retention:CloudMapOperations'")]
    public async Task A_Setting_The_Options_Refuse_Stops_The_Start_With_Its_Message(string variable, string value, string expected)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Mesh"] = "Host=127.0.0.1;Port=1;Database=mesh;Username=mesh;Timeout=1",
            ["Mesh__Auth__Mode"] = "None",
            ["Urls"] = "http://127.0.0.1:0",
            [variable] = value,
        };

        var (code, _, error) = await RunAsync(environment);

        Assert.True(code == 2, $"exit code {code}; stderr: {error}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Mesh.Api: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    private static async Task<(int Code, string Output, string Error)> RunAsync(Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Whatever the machine has set, this process has no database configured.
        start.Environment.Remove("ConnectionStrings__Mesh");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
