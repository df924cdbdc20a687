using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Security;

namespace Mesh.Api.Tests.Cli;

/// <summary>
/// <c>aws sts get-caller-identity</c> through the real AWS CLI v1 and v2 pointed at the API: what Terraform's AWS
/// provider asks to check its credentials and learn its account (README, "Terraform"), parsed by the SDKs' own Query
/// protocol code, and an unknown key refused as a service error.
/// </summary>
public sealed class AwsCliStsTests(ApiServer api) : IClassFixture<ApiServer>
{
    public static TheoryData<int> Clis => [1, 2];

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task GetCallerIdentity_Names_The_Keys_Account(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var key = await api.CreateKeyAsync("777788889999", KeyPolicy.ReadOnly);

        var result = await cli.StsAsync(api.BaseAddress, new AwsCli.IssuedKeyPair(key.AccessKeyId, key.SecretAccessKey), "get-caller-identity");

        Assert.True(result.ExitCode == 0, $"Expected exit code 0.\n{result}");
        var identity = JsonNode.Parse(result.Stdout)!;
        Assert.Equal("777788889999", identity["Account"]!.GetValue<string>());
        Assert.Equal(key.AccessKeyId, identity["UserId"]!.GetValue<string>());
        Assert.Equal($"arn:aws:iam::777788889999:user/{key.AccessKeyId}", identity["Arn"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task An_Unknown_Key_Is_A_Service_Error(int version)
    {
        var cli = await AwsCli.GetAsync(version);

        var result = await cli.StsAsync(api.BaseAddress, new AwsCli.IssuedKeyPair("MKIAUNKNOWNUNKNOWN00", "not-a-secret"), "get-caller-identity");

        Assert.True(result.ExitCode == cli.ServiceErrorExitCode, $"Expected exit code {cli.ServiceErrorExitCode}.\n{result}");
        Assert.Contains("when calling the GetCallerIdentity operation", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("MKIAUNKNOWNUNKNOWN00", result.Stderr, StringComparison.Ordinal);
    }
}
