using System.Reflection;
using Mesh.Bootstrap;

namespace Mesh.Api.Commands;

/// <summary>
/// <c>--help</c>, <c>-h</c>, <c>help [command]</c> and <c>--version</c> for the API binary and each of its commands.
/// They are answered before any configuration is read, so they work on a machine with no database and exit 0.
/// </summary>
public static class HelpCommand
{
    public const string Usage = """
        Mesh.Api: the App Mesh 2019-01-25 REST API (SigV4), backed by PostgreSQL.

        Usage:
          Mesh.Api [--urls <url>]         serve the API (default http://127.0.0.1:8080 under ./run.sh; Kestrel's
                                          default http://localhost:5000 otherwise); GET /docs is its documentation
          Mesh.Api keys <subcommand>      create, list, revoke and rotate access keys (Mesh.Api keys --help)
          Mesh.Api audit list [...]       the audit log of mutating calls (Mesh.Api audit --help)
          Mesh.Api bootstrap --node <id>  print an Envoy bootstrap for a virtual node or gateway (Mesh.Api bootstrap --help)
          Mesh.Api openapi [--out <file>] write the OpenAPI document without a server or database
          Mesh.Api help [<command>]       this text, or a command's
          Mesh.Api --version              the version

        Configuration (environment variables, appsettings.json or --Key=value arguments):
          ConnectionStrings__Mesh   Npgsql connection string, e.g. "Host=127.0.0.1;Port=5432;Database=mesh;Username=postgres"
          Mesh__Auth__MasterKey     base64 of 32 random bytes; encrypts access-key secrets (head -c 32 /dev/urandom | base64)
          Mesh__Auth__Mode          SigV4 (default) or None (local experiments only)
          Mesh__Region, Mesh__AccountId, Mesh__Bootstrap__Xds and the rest: README.md, "Configuration"
        The database must be migrated first: dotnet Mesh.Migrations.dll (./run.sh does it).
        """;

    private static readonly string[] Commands = ["keys", "audit", "bootstrap", "openapi", "help"];

    /// <summary>
    /// The exit code when <paramref name="args"/> ask for help or the version (0) or name no command this binary has
    /// (2, with the usage); null when they ask for something else.
    /// </summary>
    public static async Task<int?> TryRunAsync(string[] args, TextWriter output)
    {
        if (args.Contains("--version"))
        {
            await output.WriteLineAsync(Version());
            return 0;
        }

        if (args is [var first, ..] && !first.StartsWith('-') && !Commands.Contains(first))
        {
            await output.WriteLineAsync($"Mesh.Api has no command '{first}'.{Environment.NewLine}{Usage}");
            return 2;
        }

        var text = args switch
        {
            [] => null,
            ["--help" or "-h" or "help"] => Usage,
            ["help", var command, ..] => UsageOf(command),
            [var command] when IsGroup(command) => UsageOf(command),
            [var command, "help", ..] when IsGroup(command) => UsageOf(command),
            [var command, .. var rest] when rest.Any(IsHelp) => UsageOf(command),
            _ => null,
        };
        if (text is null)
        {
            return null;
        }

        await output.WriteLineAsync(text);
        return 0;
    }

    public static string Version()
    {
        var version = typeof(HelpCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        return $"Mesh.Api {version} (App Mesh API 2019-01-25)";
    }

    private static bool IsHelp(string arg) => arg is "--help" or "-h";

    /// <summary>A command that does nothing by itself but name its subcommands: alone, it shows them.</summary>
    private static bool IsGroup(string command) => command is "keys" or "audit";

    private static string UsageOf(string command) => command switch
    {
        "keys" or "audit" => AdminCommands.Usage,
        "bootstrap" => BootstrapArguments.Usage,
        "openapi" => OpenApiCommand.Usage,
        _ => Usage,
    };
}
