using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Testing;

namespace Mesh.Api.Tests.Sdk;

/// <summary>
/// The AWS SDK for Go, both versions, as Debian packages them, driving the API from tests/clients/go: v2 (sdkv2) the
/// way Terraform's AWS provider drives it for aws_appmesh_* and aws_service_discovery_* resources, and v1 (sdkv1) the way the App Mesh controller
/// for Kubernetes reconciles (its App Mesh resources, and a pod's Cloud Map instance). Each program prints what the SDK made of every answer; here it is checked. Specs read back
/// must deserialise to exactly the SDK values written: a controller comparing them would otherwise update forever.
/// </summary>
public sealed class GoSdkTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task SdkV2_Goes_Through_What_Terraforms_Provider_Does()
    {
        var observed = await RunAsync("sdkv2", "go-v2-" + Guid.NewGuid().ToString("N")[..8]);

        Assert.Equal(ApiServer.AccountId, Text(observed, "account"));
        Assert.Equal($"arn:aws:iam::{ApiServer.AccountId}:user/{api.AdminKey.AccessKeyId}", Text(observed, "callerArn"));
        Assert.Equal("ACTIVE", Text(observed, "meshStatus"));
        Assert.Equal(ApiServer.AccountId, Text(observed, "meshOwner"));
        Assert.Equal(ApiServer.AccountId, Text(observed, "meshResourceOwner"));
        Assert.True(Flag(observed, "meshCreatedRecently"));
        Assert.Equal(1, observed["meshVersion"]!.GetValue<long>());
        Assert.Equal(2, observed["meshVersionAfterUpdate"]!.GetValue<long>());
        Assert.Equal("ALLOW_ALL", Text(observed, "meshEgressAfterUpdate"));
        Assert.Equal("""{"team":"platform"}""", observed["meshTags"]!.ToJsonString());
        Assert.True(Flag(observed, "gatewayRouteSpecEqual"));
        Assert.Equal("ACTIVE", Text(observed, "gatewayRouteStatus"));
        Assert.True(Flag(observed, "virtualNodeSpecEqual"));
        Assert.True(Flag(observed, "routeSpecEqual"));
        Assert.Equal("""["orders","page-a","page-b"]""", observed["pagedVirtualNodes"]!.ToJsonString());
        Assert.Equal(3, observed["pages"]!.GetValue<int>());
        Assert.True(Flag(observed, "absentIsNotFound"));
        Assert.True(Flag(observed, "duplicateIsConflict"));
        Assert.True(Flag(observed, "referencedServiceIsInUse"));
        Assert.Contains("spec.httpRoute.match: must set at least one of prefix, path, hostname", Text(observed, "badRequestMessage"));
        Assert.Equal("DELETED", Text(observed, "deletedMeshStatus"));
        Assert.True(Flag(observed, "deletedMeshIsNotFound"));

        // aws_service_discovery_private_dns_namespace and aws_service_discovery_service, through their operations.
        Assert.EndsWith(".local", Text(observed, "namespaceName"));
        Assert.Equal("DNS_PRIVATE", Text(observed, "namespaceType"));
        Assert.True(Flag(observed, "namespaceHasDnsProperties"));
        Assert.Equal(1, observed["namespaceTags"]!.GetValue<int>());
        Assert.Equal("orders API", Text(observed, "serviceDescription"));
        Assert.Equal(20, observed["serviceTtl"]!.GetValue<long>());
        Assert.True(Flag(observed, "serviceCustomHealth"));
        Assert.True(Flag(observed, "deletedServiceIsNotFound"));
        Assert.True(Flag(observed, "deletedNamespaceIsNotFound"));
    }

    [Fact]
    public async Task SdkV1_Reconciles_As_The_App_Mesh_Controller_Does()
    {
        var observed = await RunAsync("sdkv1", "go-v1-" + Guid.NewGuid().ToString("N")[..8]);

        Assert.Equal("NotFoundException", Text(observed, "meshFirstDescribe"));
        Assert.True(Flag(observed, "meshActive"));
        Assert.True(Flag(observed, "meshSpecEqual"));
        Assert.Equal("NotFoundException", Text(observed, "nodeFirstDescribe"));
        Assert.True(Flag(observed, "nodeSpecEqual"));
        Assert.True(Flag(observed, "nodeOwnedByCaller"));
        Assert.True(Flag(observed, "routeSpecEqual_r1"));
        Assert.True(Flag(observed, "routeSpecEqual_r2"));
        Assert.True(Flag(observed, "routeSpecEqual_r3"));
        Assert.Equal("""["r1","r2","r3"]""", observed["listedRoutes"]!.ToJsonString());
        Assert.Equal(2, observed["routePages"]!.GetValue<int>());
        Assert.Equal("ResourceInUseException", Text(observed, "routerWithRoutesDelete"));
        Assert.Equal("NotFoundException", Text(observed, "nodeAfterDelete"));

        // The controller's Cloud Map instance reconcile for a pod.
        Assert.Equal("SUCCESS", Text(observed, "namespaceOperation"));
        Assert.Equal("DNS_PRIVATE", Text(observed, "namespaceType"));
        Assert.False(Flag(observed, "serviceFoundBeforeCreate"));
        Assert.Equal(0, observed["discoveredBeforeHealthy"]!.GetValue<int>());
        Assert.Equal(1, observed["discoveredWhenHealthy"]!.GetValue<int>());
        Assert.Equal("""["10.1.2.3=orders-5d9f"]""", observed["listedInstances"]!.ToJsonString());
        Assert.Equal("InstanceNotFound", Text(observed, "deregisterAgain"));
    }

    private static string Text(JsonNode observed, string name) => observed[name]?.GetValue<string>() ?? throw new Xunit.Sdk.XunitException($"'{name}' is missing from {observed.ToJsonString()}");

    private static bool Flag(JsonNode observed, string name) => observed[name]?.GetValue<bool>() ?? throw new Xunit.Sdk.XunitException($"'{name}' is missing from {observed.ToJsonString()}");

    /// <summary>Runs tests/clients/go/<paramref name="program"/> against the API with the admin key, in GOPATH mode over Debian's SDK sources.</summary>
    private async Task<JsonNode> RunAsync(string program, string mesh)
    {
        const string GoPath = "/usr/share/gocode";
        var go = ExternalProcess.FindAllOnPath("go").Append("/usr/lib/go/bin/go").FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("go is not installed; apt-get install golang-go golang-github-aws-aws-sdk-go-dev golang-github-aws-aws-sdk-go-v2-dev");
        foreach (var sdk in new[] { "aws-sdk-go/service/appmesh", "aws-sdk-go/service/servicediscovery", "aws-sdk-go-v2/service/appmesh", "aws-sdk-go-v2/service/servicediscovery" })
        {
            Assert.True(Directory.Exists(Path.Combine(GoPath, "src/github.com/aws", sdk)),
                $"{GoPath}/src/github.com/aws/{sdk} is missing; apt-get install golang-github-aws-aws-sdk-go-dev golang-github-aws-aws-sdk-go-v2-dev");
        }

        var environment = ExternalProcess.EnvironmentWithout("AWS_", "GO");
        environment["AWS_ACCESS_KEY_ID"] = api.AdminKey.AccessKeyId;
        environment["AWS_SECRET_ACCESS_KEY"] = api.AdminKey.SecretAccessKey;
        environment["AWS_CONFIG_FILE"] = Path.Combine(SdkClients.ClientsDirectory, "no-such-dir", "config");
        environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(SdkClients.ClientsDirectory, "no-such-dir", "credentials");
        environment["AWS_EC2_METADATA_DISABLED"] = "true";
        environment["GO111MODULE"] = "off";
        environment["GOPATH"] = GoPath;
        environment["GOCACHE"] = Path.Combine(Path.GetTempPath(), "mesh-tests-go-cache");
        environment["GOFLAGS"] = "";

        var result = await ExternalProcess.RunAsync(go, ["run", ".", api.BaseAddress.ToString().TrimEnd('/'), mesh], environment,
            workingDirectory: Path.Combine(SdkClients.ClientsDirectory, "go", program), timeout: TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, $"go run {program} failed.\n{result}");
        Assert.True(result.Stderr.Trim().Length == 0, $"go run {program} reported differences.\n{result}");
        return JsonNode.Parse(result.Stdout)!;
    }
}
