using Mesh.Security;
using System.Globalization;
using System.Text.Json;
using Mesh.Api.Security;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Commands;

/// <summary>
/// Operator commands run through the API binary with the API's configuration:
/// <c>keys create|list|revoke|rotate</c> and <c>audit list</c>. They talk to the database directly,
/// so they work before any key exists (that is how the first admin key is made).
/// </summary>
public static class AdminCommands
{
    public const string Usage = """
        Usage:
          Mesh.Api keys create --account <12 digits> [--admin | --read-only | --proxy <arn> | --allow "<actions> on <resources>"]...
                               [--description <text>] [--credentials-file <path> [--profile <name>]]
          Mesh.Api keys list
          Mesh.Api keys revoke <access key id>
          Mesh.Api keys rotate <access key id> [--credentials-file <path> [--profile <name>]]
          Mesh.Api audit list [--since <ISO 8601>] [--until <ISO 8601>] [--account <12 digits>]
        Actions and resources are comma-separated; '*' and '?' are wildcards,
        e.g. --allow "appmesh:Describe*,appmesh:List* on arn:aws:appmesh:*:*:mesh/prod/*".
        Configuration (ConnectionStrings:Mesh, Mesh:Auth:MasterKey) is read as the API reads it.
        """;

    private static readonly JsonSerializerOptions LineJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The commands that need the database. <c>bootstrap</c> needs none; Program runs it before building this host.</summary>
    public static bool Handles(string[] args) => args is ["keys", ..] or ["audit", ..];

    public static async Task<int> RunAsync(string[] args, IServiceProvider services, TextWriter output, CancellationToken ct)
    {
        try
        {
            return args switch
            {
                ["keys", "create", .. var rest] => await CreateAsync(services, Options.Parse(rest), output, ct),
                ["keys", "list"] => await ListAsync(services, output, ct),
                ["keys", "revoke", var id] => await RevokeAsync(services, id, output, ct),
                ["keys", "rotate", var id, .. var rest] => await RotateAsync(services, id, Options.Parse(rest), output, ct),
                ["audit", "list", .. var rest] => await AuditAsync(services, Options.Parse(rest), output, ct),
                _ => Fail(output, Usage),
            };
        }
        catch (ArgumentException error)
        {
            return Fail(output, error.Message + Environment.NewLine + Usage);
        }
    }

    private static async Task<int> CreateAsync(IServiceProvider services, Options options, TextWriter output, CancellationToken ct)
    {
        var account = options.Single("--account") ?? throw new ArgumentException("keys create needs --account.");
        var policy = options.Policy() ?? throw new ArgumentException("keys create needs at least one of --admin, --read-only, --proxy, --allow.");
        var issued = await services.GetRequiredService<AccessKeyStore>().CreateAsync(account, policy, options.Single("--description") ?? "", ct);
        await ReportIssuedAsync(issued, options, output);
        return 0;
    }

    private static async Task<int> RotateAsync(IServiceProvider services, string id, Options options, TextWriter output, CancellationToken ct)
    {
        var issued = await services.GetRequiredService<AccessKeyStore>().RotateAsync(id, ct);
        if (issued is null)
        {
            return Fail(output, $"No active key {id}.");
        }

        await output.WriteLineAsync($"revoked {id}");
        await ReportIssuedAsync(issued, options, output);
        return 0;
    }

    private static async Task<int> ListAsync(IServiceProvider services, TextWriter output, CancellationToken ct)
    {
        foreach (var key in await services.GetRequiredService<AccessKeyStore>().ListAsync(ct))
        {
            var state = key.RevokedAt is { } at ? $"revoked {at:u}" : "active";
            await output.WriteLineAsync(
                $"{key.AccessKeyId}  account {key.AccountId}  {state}  created {key.CreatedAt:u}  {KeyPolicy.FromJson(key.Policy).Summary}  {key.Description}");
        }

        return 0;
    }

    private static async Task<int> RevokeAsync(IServiceProvider services, string id, TextWriter output, CancellationToken ct)
    {
        if (!await services.GetRequiredService<AccessKeyStore>().RevokeAsync(id, ct))
        {
            return Fail(output, $"No active key {id}.");
        }

        await output.WriteLineAsync($"revoked {id}");
        return 0;
    }

    private static async Task<int> AuditAsync(IServiceProvider services, Options options, TextWriter output, CancellationToken ct)
    {
        var since = options.Time("--since") ?? DateTimeOffset.UtcNow.AddDays(-1);
        var until = options.Time("--until") ?? DateTimeOffset.UtcNow.AddMinutes(1);
        foreach (var record in await services.GetRequiredService<AuditLog>().ListAsync(since, until, options.Single("--account"), ct))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                at = record.At.ToString("O", CultureInfo.InvariantCulture),
                account = record.AccountId,
                accessKeyId = record.AccessKeyId,
                action = record.Action,
                resourceArn = record.ResourceArn,
                requestId = record.RequestId,
                status = record.StatusCode,
                error = record.ErrorCode,
                message = record.Message,
                sourceAddress = record.SourceAddress,
            }, LineJson));
        }

        return 0;
    }

    private static async Task ReportIssuedAsync(IssuedKey issued, Options options, TextWriter output)
    {
        await output.WriteLineAsync($"access key id:     {issued.AccessKeyId}");
        await output.WriteLineAsync($"account:           {issued.AccountId}");
        await output.WriteLineAsync($"policy:            {issued.Policy.Summary}");
        if (options.Single("--credentials-file") is { } path)
        {
            var profile = options.Single("--profile") ?? "default";
            await CredentialsFile.WriteProfileAsync(path, profile, issued.AccessKeyId, issued.SecretAccessKey);
            await output.WriteLineAsync($"secret written to: {path} (profile {profile})");
        }
        else
        {
            await output.WriteLineAsync($"secret access key: {issued.SecretAccessKey}   (shown once; store it now)");
        }
    }

    private static int Fail(TextWriter output, string message)
    {
        output.WriteLine(message);
        return 2;
    }

    /// <summary>"--name value" pairs; a name may repeat (e.g. --allow).</summary>
    private sealed class Options
    {
        private readonly List<(string Name, string? Value)> pairs = [];

        public static Options Parse(string[] args)
        {
            var options = new Options();
            for (var i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Unexpected argument '{args[i]}'.");
                }

                var takesValue = args[i] is not ("--admin" or "--read-only");
                if (takesValue && i + 1 >= args.Length)
                {
                    throw new ArgumentException($"{args[i]} needs a value.");
                }

                options.pairs.Add((args[i], takesValue ? args[++i] : null));
            }

            return options;
        }

        public string? Single(string name) => pairs.LastOrDefault(p => p.Name == name).Value;

        public DateTimeOffset? Time(string name) => Single(name) is { } text
            ? DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                ? time
                : throw new ArgumentException($"{name} takes an ISO 8601 time, not '{text}'.")
            : null;

        public KeyPolicy? Policy()
        {
            var statements = new List<PolicyStatement>();
            foreach (var (name, value) in pairs)
            {
                switch (name)
                {
                    case "--admin":
                        statements.AddRange(KeyPolicy.Admin.Statements);
                        break;
                    case "--read-only":
                        statements.AddRange(KeyPolicy.ReadOnly.Statements);
                        break;
                    case "--proxy":
                        statements.AddRange(KeyPolicy.Proxy(value!).Statements);
                        break;
                    case "--allow":
                        var parts = value!.Split(" on ", 2, StringSplitOptions.TrimEntries);
                        if (parts.Length != 2)
                        {
                            throw new ArgumentException($"--allow takes \"<actions> on <resources>\", not '{value}'.");
                        }

                        statements.Add(new PolicyStatement(Split(parts[0]), Split(parts[1])));
                        break;
                }
            }

            return statements.Count == 0 ? null : new KeyPolicy(statements);
        }

        private static string[] Split(string list) => list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }
}
