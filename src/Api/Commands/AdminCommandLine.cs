using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Mesh.Security;

namespace Mesh.Api.Commands;

/// <summary>
/// The grammar of the operator commands (<c>keys create|list|revoke|rotate</c>, <c>audit list</c>) as a
/// System.CommandLine tree whose actions call <see cref="AdminCommands"/>. Help is not part of it: those commands'
/// help is answered by <see cref="HelpCommand"/> before the host (and its configuration) is built.
/// </summary>
internal static class AdminCommandLine
{
    public static Command Build(IServiceProvider services, TextWriter output)
    {
        var keys = new Command("keys", "Create, list, revoke and rotate access keys")
        {
            Create(services, output),
            List(services, output),
            Revoke(services, output),
            Rotate(services, output),
        };
        var audit = new Command("audit", "The audit log of mutating calls") { AuditList(services, output) };

        // A plain Command, not a RootCommand: it adds no --help or --version of its own.
        return new Command("Mesh.Api") { keys, audit };
    }

    private static Command Create(IServiceProvider services, TextWriter output)
    {
        var account = new Option<string>("--account") { Description = "The key's account (12 digits)", Required = true };
        var admin = new Option<bool>("--admin") { Description = "Every App Mesh action on every resource" };
        var readOnly = new Option<bool>("--read-only") { Description = "Describe* and List* on every resource" };
        var proxy = new Option<string[]>("--proxy") { Description = "What the proxy of this virtual node or gateway ARN needs", Arity = ArgumentArity.OneOrMore };
        var allow = new Option<string[]>("--allow") { Description = "\"<actions> on <resources>\", comma-separated", Arity = ArgumentArity.OneOrMore };
        var description = new Option<string>("--description") { Description = "A note shown by keys list" };
        var (file, profile) = CredentialsOptions();

        var command = new Command("create", "Issue a new access key") { account, admin, readOnly, proxy, allow, description, file, profile };
        command.SetAction((parsed, ct) =>
        {
            var policy = Policy(parsed.GetValue(admin), parsed.GetValue(readOnly), parsed.GetValue(proxy) ?? [], parsed.GetValue(allow) ?? [])
                ?? throw new ArgumentException("keys create needs at least one of --admin, --read-only, --proxy, --allow.");
            return AdminCommands.CreateAsync(services, parsed.GetRequiredValue(account), policy, parsed.GetValue(description) ?? "", Credentials(parsed, file, profile), output, ct);
        });
        return command;
    }

    private static Command List(IServiceProvider services, TextWriter output)
    {
        var command = new Command("list", "Every key, active or revoked");
        command.SetAction((_, ct) => AdminCommands.ListAsync(services, output, ct));
        return command;
    }

    private static Command Revoke(IServiceProvider services, TextWriter output)
    {
        var id = new Argument<string>("access key id");
        var command = new Command("revoke", "Revoke a key") { id };
        command.SetAction((parsed, ct) => AdminCommands.RevokeAsync(services, parsed.GetRequiredValue(id), output, ct));
        return command;
    }

    private static Command Rotate(IServiceProvider services, TextWriter output)
    {
        var id = new Argument<string>("access key id");
        var (file, profile) = CredentialsOptions();
        var command = new Command("rotate", "Revoke a key and issue its successor with the same account and policy") { id, file, profile };
        command.SetAction((parsed, ct) => AdminCommands.RotateAsync(services, parsed.GetRequiredValue(id), Credentials(parsed, file, profile), output, ct));
        return command;
    }

    private static Command AuditList(IServiceProvider services, TextWriter output)
    {
        var since = TimeOption("--since", "From this time (default: a day ago)");
        var until = TimeOption("--until", "Up to this time (default: now)");
        var account = new Option<string>("--account") { Description = "Only this account's calls" };
        var command = new Command("list", "The audit records as JSON lines") { since, until, account };
        command.SetAction((parsed, ct) => AdminCommands.AuditAsync(services, parsed.GetValue(since), parsed.GetValue(until), parsed.GetValue(account), output, ct));
        return command;
    }

    private static (Option<string> File, Option<string> Profile) CredentialsOptions() => (
        new Option<string>("--credentials-file") { Description = "Write the secret to this AWS credentials file instead of printing it" },
        new Option<string>("--profile") { Description = "The credentials file's profile (default: default)" });

    private static CredentialsTarget? Credentials(ParseResult parsed, Option<string> file, Option<string> profile) =>
        parsed.GetValue(file) is { } path ? new CredentialsTarget(path, parsed.GetValue(profile) ?? "default") : null;

    /// <summary>A time read as ISO 8601, UTC unless it names its offset; anything else is a parse error naming the option.</summary>
    private static Option<DateTimeOffset?> TimeOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            {
                return time;
            }

            result.AddError($"{name} takes an ISO 8601 time, not '{text}'.");
            return null;
        },
    };

    private static KeyPolicy? Policy(bool admin, bool readOnly, string[] proxies, string[] allows)
    {
        var statements = new List<PolicyStatement>();
        if (admin)
        {
            statements.AddRange(KeyPolicy.Admin.Statements);
        }

        if (readOnly)
        {
            statements.AddRange(KeyPolicy.ReadOnly.Statements);
        }

        foreach (var arn in proxies)
        {
            statements.AddRange(KeyPolicy.Proxy(arn).Statements);
        }

        foreach (var allow in allows)
        {
            var parts = allow.Split(" on ", 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2)
            {
                throw new ArgumentException($"--allow takes \"<actions> on <resources>\", not '{allow}'.");
            }

            statements.Add(new PolicyStatement(Split(parts[0]), Split(parts[1])));
        }

        return statements.Count == 0 ? null : new KeyPolicy(statements);
    }

    private static string[] Split(string list) => list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
