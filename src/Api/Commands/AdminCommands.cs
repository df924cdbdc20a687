using Mesh.Security;
using System.CommandLine;
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
        var result = AdminCommandLine.Build(services, output).Parse(args);
        if (result.Errors is [var first, ..])
        {
            return Fail(output, first.Message + Environment.NewLine + Usage);
        }

        try
        {
            return await result.InvokeAsync(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false }, ct);
        }
        catch (ArgumentException error)
        {
            return Fail(output, error.Message + Environment.NewLine + Usage);
        }
    }

    /// <summary>
    /// Says what the host's start says of a database it cannot use (missing, not migrated, not answering), as one line
    /// with exit code 2 (Program prints the exception), before a command meets it as an unhandled exception. The first
    /// command a new operator runs is often <c>keys create</c>, sometimes before the migrations. The master key is left to
    /// each command's own check: a <c>list</c> of a database without keys must write no check value. Each command runs it
    /// once its arguments are read, so that misuse is named without a database.
    /// </summary>
    private static async Task ThrowIfDatabaseUnusableAsync(IServiceProvider services, CancellationToken ct)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(services.GetRequiredService<IOptions<MeshApiOptions>>().Value.StartCheckTimeout);
        var state = await new DatabaseSetup(services.GetRequiredService<IDbContextFactory<MeshDbContext>>(), keys: null).CheckAsync(patience.Token);
        if (state.Status is not SetupStatus.Ready)
        {
            throw new ApiConfigurationException(state.Message);
        }
    }

    internal static async Task<int> CreateAsync(IServiceProvider services, string account, KeyPolicy policy, string description, CredentialsTarget? credentials, TextWriter output, CancellationToken ct)
    {
        await ThrowIfDatabaseUnusableAsync(services, ct);
        var issued = await services.GetRequiredService<AccessKeyStore>().CreateAsync(account, policy, description, ct);
        await ReportIssuedAsync(issued, credentials, output);
        return 0;
    }

    internal static async Task<int> RotateAsync(IServiceProvider services, string id, CredentialsTarget? credentials, TextWriter output, CancellationToken ct)
    {
        await ThrowIfDatabaseUnusableAsync(services, ct);
        var issued = await services.GetRequiredService<AccessKeyStore>().RotateAsync(id, ct);
        if (issued is null)
        {
            return Fail(output, $"No active key {id}.");
        }

        await output.WriteLineAsync($"revoked {id}");
        await ReportIssuedAsync(issued, credentials, output);
        return 0;
    }

    internal static async Task<int> ListAsync(IServiceProvider services, TextWriter output, CancellationToken ct)
    {
        await ThrowIfDatabaseUnusableAsync(services, ct);
        foreach (var key in await services.GetRequiredService<AccessKeyStore>().ListAsync(ct))
        {
            var state = key.RevokedAt is { } at ? $"revoked {at:u}" : "active";
            await output.WriteLineAsync(
                $"{key.AccessKeyId}  account {key.AccountId}  {state}  created {key.CreatedAt:u}  {KeyPolicy.FromJson(key.Policy).Summary}  {key.Description}");
        }

        return 0;
    }

    internal static async Task<int> RevokeAsync(IServiceProvider services, string id, TextWriter output, CancellationToken ct)
    {
        await ThrowIfDatabaseUnusableAsync(services, ct);
        if (!await services.GetRequiredService<AccessKeyStore>().RevokeAsync(id, ct))
        {
            return Fail(output, $"No active key {id}.");
        }

        await output.WriteLineAsync($"revoked {id}");
        return 0;
    }

    internal static async Task<int> AuditAsync(IServiceProvider services, DateTimeOffset? since, DateTimeOffset? until, string? account, TextWriter output, CancellationToken ct)
    {
        await ThrowIfDatabaseUnusableAsync(services, ct);
        var from = since ?? DateTimeOffset.UtcNow.AddDays(-1);
        var to = until ?? DateTimeOffset.UtcNow.AddMinutes(1);
        foreach (var record in await services.GetRequiredService<AuditLog>().ListAsync(from, to, account, ct))
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

    private static async Task ReportIssuedAsync(IssuedKey issued, CredentialsTarget? credentials, TextWriter output)
    {
        await output.WriteLineAsync($"access key id:     {issued.AccessKeyId}");
        await output.WriteLineAsync($"account:           {issued.AccountId}");
        await output.WriteLineAsync($"policy:            {issued.Policy.Summary}");
        if (credentials is var (path, profile))
        {
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
}

/// <summary>Where <c>--credentials-file</c> and <c>--profile</c> ask a new secret to be written instead of printed.</summary>
internal sealed record CredentialsTarget(string Path, string Profile);
