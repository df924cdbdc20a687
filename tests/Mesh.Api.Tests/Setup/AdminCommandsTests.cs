using Mesh.Security;
using Mesh.Testing;

namespace Mesh.Api.Tests.Setup;

/// <summary>
/// The operator commands end to end through the API binary and a real database: each parsed option reaches the
/// key store and the audit log (create with several policy options and a credentials file, list, rotate, revoke).
/// </summary>
public sealed class AdminCommandsTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Keys_Are_Created_Listed_Rotated_And_Revoked_And_The_Audit_Log_Is_Listed()
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Mesh"] = await database.Server.CreateDatabaseAsync(),
            ["Mesh__Auth__MasterKey"] = SecretProtector.NewMasterKey(),
        };
        var credentials = Path.Combine(Directory.CreateTempSubdirectory("mesh-admin-commands-").FullName, "credentials");

        var (code, output, error) = await ApiProcess.RunAsync(environment,
            "keys", "create", "--account", "111122223333", "--read-only", "--allow", "appmesh:CreateMesh on arn:aws:appmesh:*:111122223333:mesh/*",
            "--description", "made by a test", "--credentials-file", credentials, "--profile", "ops");
        Assert.True(code == 0, $"exit code {code}; stdout: {output}; stderr: {error}");
        var id = Line(output, "access key id:");
        Assert.Contains($"secret written to: {credentials} (profile ops)", output, StringComparison.Ordinal);
        Assert.Contains("[ops]", await File.ReadAllTextAsync(credentials), StringComparison.Ordinal);
        Assert.Contains("appmesh:CreateMesh", Line(output, "policy:"), StringComparison.Ordinal);

        (code, output, _) = await ApiProcess.RunAsync(environment, "keys", "list");
        Assert.Equal(0, code);
        Assert.Contains(output.Split('\n'), line => line.StartsWith(id, StringComparison.Ordinal) && line.Contains("active", StringComparison.Ordinal) && line.EndsWith("made by a test", StringComparison.Ordinal));

        (code, output, _) = await ApiProcess.RunAsync(environment, "keys", "rotate", id);
        Assert.Equal(0, code);
        Assert.StartsWith($"revoked {id}", output, StringComparison.Ordinal);
        var successor = Line(output, "access key id:");
        Assert.Contains("secret access key:", output, StringComparison.Ordinal);

        (code, output, _) = await ApiProcess.RunAsync(environment, "keys", "revoke", successor);
        Assert.Equal(0, code);
        Assert.Equal($"revoked {successor}", output.Trim());

        (code, output, _) = await ApiProcess.RunAsync(environment, "keys", "revoke", successor);
        Assert.Equal(2, code);
        Assert.Contains($"No active key {successor}.", output, StringComparison.Ordinal);

        (code, _, error) = await ApiProcess.RunAsync(environment, "audit", "list", "--since", "2020-01-01T00:00:00Z", "--until", "2020-01-02", "--account", "111122223333");
        Assert.True(code == 0, $"exit code {code}; stderr: {error}");
    }

    private static string Line(string output, string label) =>
        output.Split('\n').Single(l => l.StartsWith(label, StringComparison.Ordinal))[label.Length..].Trim();
}
