using Mesh.Testing;
using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Cli;

/// <summary>
/// Cloud Map (<c>aws servicediscovery</c>) through the real AWS CLI v1 and v2: all 30 operations in one registry's
/// life, the model's errors with the exit code each CLI uses, and paging. Debian's CLI v2 (2.9) predates four
/// operations (GetServiceAttributes, UpdateServiceAttributes, DeleteServiceAttributes, DiscoverInstancesRevision):
/// it has no command for them, so v1 drives those (and boto3 and the JavaScript SDK do too).
/// </summary>
public sealed class AwsCliCloudMapTests(ApiServer api) : IClassFixture<ApiServer>
{
    public static TheoryData<int> Clis => [1, 2];

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task EveryOperation_ThroughTheCli(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        async Task<JsonNode> Ok(params string[] arguments) => (await cli.CloudMapSucceedAsync(api.BaseAddress, arguments))!;
        async Task Quiet(params string[] arguments) => await cli.CloudMapSucceedAsync(api.BaseAddress, arguments);

        // Namespaces of all three types; each create is an operation that has already succeeded.
        var httpOp = (await Ok("create-http-namespace", "--name", $"cli{version}-http", "--description", "first",
            "--tags", "Key=team,Value=web"))["OperationId"]!.GetValue<string>();
        var operation = (await Ok("get-operation", "--operation-id", httpOp))["Operation"]!;
        Assert.Equal("SUCCESS", operation["Status"]!.GetValue<string>());
        Assert.Equal("CREATE_NAMESPACE", operation["Type"]!.GetValue<string>());
        var nsId = operation["Targets"]!["NAMESPACE"]!.GetValue<string>();
        Assert.StartsWith("ns-", nsId);

        var privateOp = (await Ok("create-private-dns-namespace", "--name", $"cli{version}.private", "--vpc", "vpc-12345"))["OperationId"]!.GetValue<string>();
        var privateId = (await Ok("get-operation", "--operation-id", privateOp))["Operation"]!["Targets"]!["NAMESPACE"]!.GetValue<string>();
        var publicOp = (await Ok("create-public-dns-namespace", "--name", $"cli{version}.example.com",
            "--properties", "DnsProperties={SOA={TTL=60}}"))["OperationId"]!.GetValue<string>();
        var publicId = (await Ok("get-operation", "--operation-id", publicOp))["Operation"]!["Targets"]!["NAMESPACE"]!.GetValue<string>();

        var ns = (await Ok("get-namespace", "--id", nsId))["Namespace"]!;
        Assert.Equal($"cli{version}-http", ns["Name"]!.GetValue<string>());
        Assert.Equal("HTTP", ns["Type"]!.GetValue<string>());
        Assert.Equal($"cli{version}-http", ns["Properties"]!["HttpProperties"]!["HttpName"]!.GetValue<string>());
        Assert.Equal($"arn:aws:servicediscovery:us-east-1:{ApiServer.AccountId}:namespace/{nsId}", ns["Arn"]!.GetValue<string>());
        cli.Timestamp(ns["CreateDate"]);

        var listed = (await Ok("list-namespaces", "--filters", $"Name=NAME,Values=cli{version}-http,Condition=EQ"))["Namespaces"]!.AsArray();
        Assert.Equal(nsId, Assert.Single(listed)!["Id"]!.GetValue<string>());
        var dnsTypes = (await Ok("list-namespaces", "--filters", "Name=TYPE,Values=DNS_PRIVATE,DNS_PUBLIC,Condition=IN"))["Namespaces"]!.AsArray();
        Assert.Contains(dnsTypes, n => n!["Id"]!.GetValue<string>() == privateId);
        Assert.Contains(dnsTypes, n => n!["Id"]!.GetValue<string>() == publicId);
        Assert.DoesNotContain(dnsTypes, n => n!["Id"]!.GetValue<string>() == nsId);
        // RESOURCE_OWNER takes SELF or OTHER_ACCOUNTS; every namespace listed is the caller's own.
        var own = (await Ok("list-namespaces", "--filters", "Name=RESOURCE_OWNER,Values=SELF,Condition=EQ"))["Namespaces"]!.AsArray();
        Assert.Contains(own, n => n!["Id"]!.GetValue<string>() == nsId);
        Assert.Empty((await Ok("list-namespaces", "--filters", "Name=RESOURCE_OWNER,Values=OTHER_ACCOUNTS,Condition=EQ"))["Namespaces"]!.AsArray());

        await Ok("update-http-namespace", "--id", nsId, "--namespace", "Description=second");
        Assert.Equal("second", (await Ok("get-namespace", "--id", nsId))["Namespace"]!["Description"]!.GetValue<string>());
        await Ok("update-private-dns-namespace", "--id", privateId, "--namespace", "Description=private one");
        await Ok("update-public-dns-namespace", "--id", publicId, "--namespace", "Properties={DnsProperties={SOA={TTL=120}}}");
        Assert.Equal(120, (await Ok("get-namespace", "--id", publicId))["Namespace"]!["Properties"]!["DnsProperties"]!["SOA"]!["TTL"]!.GetValue<long>());

        // A service with custom health checks, and its attributes.
        var service = (await Ok("create-service", "--name", "web", "--namespace-id", nsId, "--health-check-custom-config", "FailureThreshold=1"))["Service"]!;
        var serviceId = service["Id"]!.GetValue<string>();
        Assert.StartsWith("srv-", serviceId);
        Assert.Equal("HTTP", service["Type"]!.GetValue<string>());
        Assert.Equal(nsId, (await Ok("get-service", "--id", serviceId))["Service"]!["NamespaceId"]!.GetValue<string>());
        var services = (await Ok("list-services", "--filters", $"Name=NAMESPACE_ID,Values={nsId},Condition=EQ"))["Services"]!.AsArray();
        Assert.Equal(serviceId, Assert.Single(services)!["Id"]!.GetValue<string>());
        var byArn = (await Ok("list-services", "--filters", $"Name=NAMESPACE_ID,Values={ns["Arn"]!.GetValue<string>()},Condition=EQ"))["Services"]!.AsArray();
        Assert.Equal(serviceId, Assert.Single(byArn)!["Id"]!.GetValue<string>());
        var updateOp = (await Ok("update-service", "--id", serviceId, "--service", "Description=the web tier"))["OperationId"]!.GetValue<string>();
        Assert.Equal("UPDATE_SERVICE", (await Ok("get-operation", "--operation-id", updateOp))["Operation"]!["Type"]!.GetValue<string>());
        Assert.Equal("the web tier", (await Ok("get-service", "--id", serviceId))["Service"]!["Description"]!.GetValue<string>());

        var newerOperations = await HasCommandAsync(cli, "get-service-attributes");
        Assert.True(newerOperations || version == 2, $"CLI v{version} ({cli.Version}) lacks get-service-attributes.");
        if (newerOperations)
        {
            await Quiet("update-service-attributes", "--service-id", serviceId, "--attributes", "tier=front,owner=team-a");
            var attributes = (await Ok("get-service-attributes", "--service-id", serviceId))["ServiceAttributes"]!;
            Assert.Equal("front", attributes["Attributes"]!["tier"]!.GetValue<string>());
            await Quiet("delete-service-attributes", "--service-id", serviceId, "--attributes", "tier");
            attributes = (await Ok("get-service-attributes", "--service-id", serviceId))["ServiceAttributes"]!;
            Assert.Null(attributes["Attributes"]!["tier"]);
            Assert.Equal("team-a", attributes["Attributes"]!["owner"]!.GetValue<string>());
        }

        // Instances: one starts healthy, one unhealthy (AWS_INIT_HEALTH_STATUS).
        await Ok("register-instance", "--service-id", serviceId, "--instance-id", "i-1",
            "--attributes", "AWS_INSTANCE_IPV4=10.0.0.1,AWS_INSTANCE_PORT=8080,zone=a");
        await Ok("register-instance", "--service-id", serviceId, "--instance-id", "i-2",
            "--attributes", "AWS_INSTANCE_IPV4=10.0.0.2,AWS_INSTANCE_PORT=8080,zone=b,AWS_INIT_HEALTH_STATUS=UNHEALTHY");
        var instance = (await Ok("get-instance", "--service-id", serviceId, "--instance-id", "i-1"))["Instance"]!;
        Assert.Equal("10.0.0.1", instance["Attributes"]!["AWS_INSTANCE_IPV4"]!.GetValue<string>());
        var instances = (await Ok("list-instances", "--service-id", serviceId))["Instances"]!.AsArray();
        Assert.Equal(["i-1", "i-2"], instances.Select(i => i!["Id"]!.GetValue<string>()));
        var health = (await Ok("get-instances-health-status", "--service-id", serviceId))["Status"]!;
        Assert.Equal("HEALTHY", health["i-1"]!.GetValue<string>());
        Assert.Equal("UNHEALTHY", health["i-2"]!.GetValue<string>());

        var discovery = await Ok("discover-instances", "--namespace-name", $"cli{version}-http", "--service-name", "web");
        var discovered = discovery["Instances"]!.AsArray();
        Assert.Equal("i-1", Assert.Single(discovered)!["InstanceId"]!.GetValue<string>());
        // InstancesRevision came with DiscoverInstancesRevision; CLI v2 2.9 does not know the member and drops it.
        var revision = discovery["InstancesRevision"]?.GetValue<long>();
        if (newerOperations)
        {
            Assert.Equal(2, revision);
            Assert.Equal(revision, (await Ok("discover-instances-revision", "--namespace-name", $"cli{version}-http", "--service-name", "web"))["InstancesRevision"]!.GetValue<long>());
        }

        await Quiet("update-instance-custom-health-status", "--service-id", serviceId, "--instance-id", "i-2", "--status", "HEALTHY");
        discovered = (await Ok("discover-instances", "--namespace-name", $"cli{version}-http", "--service-name", "web", "--query-parameters", "zone=b"))["Instances"]!.AsArray();
        Assert.Equal("i-2", Assert.Single(discovered)!["InstanceId"]!.GetValue<string>());
        Assert.Equal("HEALTHY", discovered[0]!["HealthStatus"]!.GetValue<string>());
        if (newerOperations)
        {
            Assert.Equal(revision + 1, (await Ok("discover-instances", "--namespace-name", $"cli{version}-http", "--service-name", "web"))["InstancesRevision"]!.GetValue<long>());
        }

        // Tags on a namespace ARN.
        var arn = ns["Arn"]!.GetValue<string>();
        await Quiet("tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=test");
        var tags = (await Ok("list-tags-for-resource", "--resource-arn", arn))["Tags"]!.AsArray();
        Assert.Equal(["env=test", "team=web"], tags.Select(t => $"{t!["Key"]}={t["Value"]}").Order());
        await Quiet("untag-resource", "--resource-arn", arn, "--tag-keys", "team");
        tags = (await Ok("list-tags-for-resource", "--resource-arn", arn))["Tags"]!.AsArray();
        Assert.Equal("env", Assert.Single(tags)!["Key"]!.GetValue<string>());

        var registrations = (await Ok("list-operations", "--filters", "Name=TYPE,Values=REGISTER_INSTANCE,Condition=EQ",
            $"Name=SERVICE_ID,Values={serviceId},Condition=EQ"))["Operations"]!.AsArray();
        Assert.Equal(2, registrations.Count);
        Assert.All(registrations, o => Assert.Equal("SUCCESS", o!["Status"]!.GetValue<string>()));

        // Everything goes away inside-out.
        foreach (var id in new[] { "i-1", "i-2" })
        {
            var deregistered = (await Ok("deregister-instance", "--service-id", serviceId, "--instance-id", id))["OperationId"]!.GetValue<string>();
            Assert.Equal("DEREGISTER_INSTANCE", (await Ok("get-operation", "--operation-id", deregistered))["Operation"]!["Type"]!.GetValue<string>());
        }

        await Quiet("delete-service", "--id", serviceId);
        foreach (var id in new[] { nsId, privateId, publicId })
        {
            await Ok("delete-namespace", "--id", id);
        }

        await cli.CloudMapFailWithAsync(api.BaseAddress, "NamespaceNotFound", "get-namespace", "--id", nsId);
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task Errors_AreTheModelsErrors(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var name = $"cli{version}-errors";
        var op = (await cli.CloudMapSucceedAsync(api.BaseAddress, "create-http-namespace", "--name", name, "--creator-request-id", $"req-{version}"))!["OperationId"]!.GetValue<string>();
        var nsId = (await cli.CloudMapSucceedAsync(api.BaseAddress, "get-operation", "--operation-id", op))!["Operation"]!["Targets"]!["NAMESPACE"]!.GetValue<string>();

        // The same request id again: the same operation, nothing new. With another request: DuplicateRequest.
        var retried = (await cli.CloudMapSucceedAsync(api.BaseAddress, "create-http-namespace", "--name", name, "--creator-request-id", $"req-{version}"))!;
        Assert.Equal(op, retried["OperationId"]!.GetValue<string>());
        var duplicate = await cli.CloudMapFailWithAsync(api.BaseAddress, "DuplicateRequest", "create-http-namespace", "--name", name + "-other", "--creator-request-id", $"req-{version}");
        Assert.Contains(op, duplicate.Stderr);
        await cli.CloudMapFailWithAsync(api.BaseAddress, "NamespaceAlreadyExists", "create-http-namespace", "--name", name);

        await cli.CloudMapFailWithAsync(api.BaseAddress, "NamespaceNotFound", "get-namespace", "--id", "ns-doesnotexist0000");
        await cli.CloudMapFailWithAsync(api.BaseAddress, "NamespaceNotFound", "create-service", "--name", "x", "--namespace-id", "ns-doesnotexist0000");
        await cli.CloudMapFailWithAsync(api.BaseAddress, "ServiceNotFound", "get-service", "--id", "srv-doesnotexist000");
        await cli.CloudMapFailWithAsync(api.BaseAddress, "ServiceNotFound", "discover-instances", "--namespace-name", name, "--service-name", "absent");
        await cli.CloudMapFailWithAsync(api.BaseAddress, "NamespaceNotFound", "discover-instances", "--namespace-name", name + "-absent", "--service-name", "absent");
        await cli.CloudMapFailWithAsync(api.BaseAddress, "OperationNotFound", "get-operation", "--operation-id", "nope");

        var serviceId = (await cli.CloudMapSucceedAsync(api.BaseAddress, "create-service", "--name", "web", "--namespace-id", nsId))!["Service"]!["Id"]!.GetValue<string>();
        await cli.CloudMapFailWithAsync(api.BaseAddress, "ServiceAlreadyExists", "create-service", "--name", "web", "--namespace-id", nsId);
        // A retried create (the same CreatorRequestId, the model's idempotency token) gets the service it made.
        var made = (await cli.CloudMapSucceedAsync(api.BaseAddress, "create-service", "--name", "api", "--namespace-id", nsId, "--creator-request-id", $"svc-{version}"))!["Service"]!;
        var again = (await cli.CloudMapSucceedAsync(api.BaseAddress, "create-service", "--name", "api", "--namespace-id", nsId, "--creator-request-id", $"svc-{version}"))!["Service"]!;
        Assert.Equal(made["Id"]!.GetValue<string>(), again["Id"]!.GetValue<string>());
        await cli.CloudMapFailWithAsync(api.BaseAddress, "ServiceAlreadyExists", "create-service", "--name", "api", "--namespace-id", nsId, "--creator-request-id", $"other-{version}");
        await cli.CloudMapFailWithAsync(api.BaseAddress, "InstanceNotFound", "get-instance", "--service-id", serviceId, "--instance-id", "absent");
        await cli.CloudMapFailWithAsync(api.BaseAddress, "InstanceNotFound", "deregister-instance", "--service-id", serviceId, "--instance-id", "absent");
        await cli.CloudMapFailWithAsync(api.BaseAddress, "CustomHealthNotFound", "update-instance-custom-health-status", "--service-id", serviceId, "--instance-id", "absent", "--status", "HEALTHY");

        var invalid = await cli.CloudMapFailWithAsync(api.BaseAddress, "InvalidInput", "register-instance", "--service-id", serviceId, "--instance-id", "i-1",
            "--attributes", "AWS_INSTANCE_IPV4=10.0.0.300,AWS_INSTANCE_PORT=99999");
        Assert.Contains("Attributes[\"AWS_INSTANCE_IPV4\"]", invalid.Stderr);
        Assert.Contains("Attributes[\"AWS_INSTANCE_PORT\"]", invalid.Stderr);

        await cli.CloudMapSucceedAsync(api.BaseAddress, "register-instance", "--service-id", serviceId, "--instance-id", "i-1", "--attributes", "AWS_INSTANCE_IPV4=10.0.0.1");
        await cli.CloudMapFailWithAsync(api.BaseAddress, "ResourceInUse", "delete-namespace", "--id", nsId);
        await cli.CloudMapFailWithAsync(api.BaseAddress, "ResourceInUse", "delete-service", "--id", serviceId);
        await cli.CloudMapFailWithAsync(api.BaseAddress, "ResourceNotFoundException", "list-tags-for-resource", "--resource-arn",
            $"arn:aws:servicediscovery:us-east-1:{ApiServer.AccountId}:namespace/ns-doesnotexist0000");
    }

    [Theory]
    [MemberData(nameof(Clis))]
    public async Task Lists_ArePagedAndTheCliFollowsEveryPage(int version)
    {
        var cli = await AwsCli.GetAsync(version);
        var op = (await cli.CloudMapSucceedAsync(api.BaseAddress, "create-http-namespace", "--name", $"cli{version}-pages"))!["OperationId"]!.GetValue<string>();
        var nsId = (await cli.CloudMapSucceedAsync(api.BaseAddress, "get-operation", "--operation-id", op))!["Operation"]!["Targets"]!["NAMESPACE"]!.GetValue<string>();
        var serviceId = (await cli.CloudMapSucceedAsync(api.BaseAddress, "create-service", "--name", "many", "--namespace-id", nsId))!["Service"]!["Id"]!.GetValue<string>();
        for (var i = 0; i < 5; i++)
        {
            await cli.CloudMapSucceedAsync(api.BaseAddress, "register-instance", "--service-id", serviceId, "--instance-id", $"i-{i}", "--attributes", $"AWS_INSTANCE_IPV4=10.0.1.{i + 1}");
        }

        // --page-size 2: the CLI asks for pages of two and follows NextToken to the end.
        var all = (await cli.CloudMapSucceedAsync(api.BaseAddress, "list-instances", "--service-id", serviceId, "--page-size", "2"))!["Instances"]!.AsArray();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"i-{i}"), all.Select(i => i!["Id"]!.GetValue<string>()));

        var first = (await cli.CloudMapSucceedAsync(api.BaseAddress, "list-instances", "--service-id", serviceId, "--max-items", "3"))!;
        Assert.Equal(3, first["Instances"]!.AsArray().Count);
        var rest = (await cli.CloudMapSucceedAsync(api.BaseAddress, "list-instances", "--service-id", serviceId, "--starting-token", first["NextToken"]!.GetValue<string>()))!;
        Assert.Equal(["i-3", "i-4"], rest["Instances"]!.AsArray().Select(i => i!["Id"]!.GetValue<string>()));

        var operations = (await cli.CloudMapSucceedAsync(api.BaseAddress, "list-operations", "--page-size", "2",
            "--filters", $"Name=SERVICE_ID,Values={serviceId},Condition=EQ"))!["Operations"]!.AsArray();
        Assert.Equal(5, operations.Count);
    }

    /// <summary>Whether this CLI's bundled model has the command: without its arguments it names what is missing, not an invalid choice.</summary>
    private static async Task<bool> HasCommandAsync(AwsCli cli, string command)
    {
        var result = await ExternalProcess.RunAsync(cli.Path, ["servicediscovery", command, "--region", AwsCli.Region]);
        return !result.Stderr.Contains("Invalid choice", StringComparison.Ordinal);
    }
}
