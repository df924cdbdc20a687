using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Sdk;

/// <summary>
/// Cloud Map through boto3 and <c>@aws-sdk/client-servicediscovery</c>: all 30 operations, the model's errors as
/// each SDK's own exception classes, and paging with the SDK passing NextToken back. Each round is one run of the
/// driver; later rounds use the ids earlier ones returned.
/// </summary>
public sealed class CloudMapSdkTests(ApiServer api) : IClassFixture<ApiServer>
{
    public static TheoryData<string> Sdks => ["javascript", "boto3"];

    [Theory]
    [MemberData(nameof(Sdks))]
    public async Task EveryOperation_ErrorsAndPaging(string sdk)
    {
        var prefix = $"sdk-{sdk}";
        Task<JsonArray> Run(params SdkCall[] calls) => sdk == "javascript"
            ? SdkClients.RunJavaScriptCloudMapAsync(api.BaseAddress, SdkCredentials.For(api), calls)
            : SdkClients.RunBoto3CloudMapAsync(api.BaseAddress, SdkCredentials.For(api), calls);
        static SdkCall Call(string operation, JsonObject? input = null) => new(operation, input ?? new JsonObject());

        // Round 1: three namespaces, a retried and a duplicate request id, invalid input, the first page of a list.
        var round1 = await Run(
            Call("CreateHttpNamespace", new JsonObject { ["Name"] = $"{prefix}-http", ["CreatorRequestId"] = $"{prefix}-r1", ["Tags"] = Tags(("team", "web")) }),
            Call("CreateHttpNamespace", new JsonObject { ["Name"] = $"{prefix}-http", ["CreatorRequestId"] = $"{prefix}-r1", ["Tags"] = Tags(("team", "web")) }),
            Call("CreateHttpNamespace", new JsonObject { ["Name"] = $"{prefix}-other", ["CreatorRequestId"] = $"{prefix}-r1" }),
            Call("CreatePrivateDnsNamespace", new JsonObject { ["Name"] = $"{prefix}.private", ["Vpc"] = "vpc-1" }),
            Call("CreatePublicDnsNamespace", new JsonObject
            {
                ["Name"] = $"{prefix}.example.com",
                ["Properties"] = new JsonObject { ["DnsProperties"] = new JsonObject { ["SOA"] = new JsonObject { ["TTL"] = 60 } } },
            }),
            Call("CreateHttpNamespace", new JsonObject { ["Name"] = "" }),
            Call("ListNamespaces", new JsonObject { ["MaxResults"] = 2, ["Filters"] = Filter("NAME", "BEGINS_WITH", prefix) }),
            Call("CreateHttpNamespace", new JsonObject { ["Name"] = $"{prefix}-http" }));
        var created = Ok(round1[0])["OperationId"]!.GetValue<string>();
        Assert.Equal(created, Ok(round1[1])["OperationId"]!.GetValue<string>());
        Fails(round1[2], "DuplicateRequest");
        Ok(round1[3]);
        Ok(round1[4]);
        Assert.Contains("Name", Fails(round1[5], "InvalidInput"));
        var firstPage = Ok(round1[6]);
        Assert.Equal(2, firstPage["Namespaces"]!.AsArray().Count);
        var token = firstPage["NextToken"]!.GetValue<string>();
        Fails(round1[7], "NamespaceAlreadyExists");

        // Round 2: the rest of the list, the operation, updates, and a service.
        var round2 = await Run(
            Call("ListNamespaces", new JsonObject { ["MaxResults"] = 2, ["NextToken"] = token, ["Filters"] = Filter("NAME", "BEGINS_WITH", prefix) }),
            Call("GetOperation", new JsonObject { ["OperationId"] = created }),
            Call("GetNamespace", new JsonObject { ["Id"] = "ns-doesnotexist0000" }));
        var namespaces = firstPage["Namespaces"]!.AsArray().Concat(Ok(round2[0])["Namespaces"]!.AsArray()).ToList();
        Assert.Equal(3, namespaces.Count);
        Assert.Null(Ok(round2[0])["NextToken"]);
        string IdOf(string name) => namespaces.Single(n => n!["Name"]!.GetValue<string>() == name)!["Id"]!.GetValue<string>();
        var httpId = IdOf($"{prefix}-http");
        var privateId = IdOf($"{prefix}.private");
        var publicId = IdOf($"{prefix}.example.com");
        var operation = Ok(round2[1])["Operation"]!;
        Assert.Equal("SUCCESS", operation["Status"]!.GetValue<string>());
        Assert.Equal(httpId, operation["Targets"]!["NAMESPACE"]!.GetValue<string>());
        Fails(round2[2], "NamespaceNotFound");

        var round3 = await Run(
            Call("GetNamespace", new JsonObject { ["Id"] = httpId }),
            Call("UpdateHttpNamespace", new JsonObject { ["Id"] = httpId, ["Namespace"] = new JsonObject { ["Description"] = "updated" } }),
            Call("UpdatePrivateDnsNamespace", new JsonObject { ["Id"] = privateId, ["Namespace"] = new JsonObject { ["Description"] = "private" } }),
            Call("UpdatePublicDnsNamespace", new JsonObject
            {
                ["Id"] = publicId,
                ["Namespace"] = new JsonObject { ["Properties"] = new JsonObject { ["DnsProperties"] = new JsonObject { ["SOA"] = new JsonObject { ["TTL"] = 120 } } } },
            }),
            Call("CreateService", new JsonObject { ["Name"] = "web", ["NamespaceId"] = httpId, ["HealthCheckCustomConfig"] = new JsonObject() }),
            Call("CreateService", new JsonObject { ["Name"] = "web", ["NamespaceId"] = httpId }),
            Call("GetNamespace", new JsonObject { ["Id"] = httpId }));
        Assert.Equal("HTTP", Ok(round3[0])["Namespace"]!["Type"]!.GetValue<string>());
        Ok(round3[1]);
        Ok(round3[2]);
        Ok(round3[3]);
        var service = Ok(round3[4])["Service"]!;
        var serviceId = service["Id"]!.GetValue<string>();
        Fails(round3[5], "ServiceAlreadyExists");
        Assert.Equal("updated", Ok(round3[6])["Namespace"]!["Description"]!.GetValue<string>());
        Assert.Equal(1, Ok(round3[6])["Namespace"]!["ServiceCount"]!.GetValue<int>());

        // Round 4: the service, its attributes, instances, health, discovery, tags and operations.
        var nsArn = $"arn:aws:servicediscovery:us-east-1:{ApiServer.AccountId}:namespace/{httpId}";
        var round4 = await Run(
            Call("GetService", new JsonObject { ["Id"] = serviceId }),
            Call("ListServices", new JsonObject { ["Filters"] = Filter("NAMESPACE_ID", "EQ", httpId) }),
            Call("UpdateService", new JsonObject { ["Id"] = serviceId, ["Service"] = new JsonObject { ["Description"] = "web tier" } }),
            Call("UpdateServiceAttributes", new JsonObject { ["ServiceId"] = serviceId, ["Attributes"] = new JsonObject { ["a"] = "1", ["b"] = "2" } }),
            Call("DeleteServiceAttributes", new JsonObject { ["ServiceId"] = serviceId, ["Attributes"] = new JsonArray("a") }),
            Call("GetServiceAttributes", new JsonObject { ["ServiceId"] = serviceId }),
            Register(serviceId, "i-1", ("AWS_INSTANCE_IPV4", "10.0.0.1"), ("zone", "a")),
            Register(serviceId, "i-2", ("AWS_INSTANCE_IPV4", "10.0.0.2"), ("zone", "b"), ("AWS_INIT_HEALTH_STATUS", "UNHEALTHY")),
            Register(serviceId, "i-3", ("AWS_INSTANCE_IPV4", "10.0.0.3"), ("zone", "a")),
            Register(serviceId, "i-4", ("AWS_INSTANCE_IPV4", "not-an-ip")),
            Call("GetInstance", new JsonObject { ["ServiceId"] = serviceId, ["InstanceId"] = "i-2" }),
            Call("ListInstances", new JsonObject { ["ServiceId"] = serviceId, ["MaxResults"] = 2 }),
            Call("GetInstancesHealthStatus", new JsonObject { ["ServiceId"] = serviceId }),
            Call("UpdateInstanceCustomHealthStatus", new JsonObject { ["ServiceId"] = serviceId, ["InstanceId"] = "i-3", ["Status"] = "UNHEALTHY" }),
            Call("DiscoverInstances", new JsonObject { ["NamespaceName"] = $"{prefix}-http", ["ServiceName"] = "web", ["QueryParameters"] = new JsonObject { ["zone"] = "a" } }),
            Call("DiscoverInstances", new JsonObject { ["NamespaceName"] = $"{prefix}-http", ["ServiceName"] = "web", ["HealthStatus"] = "ALL" }),
            Call("DiscoverInstancesRevision", new JsonObject { ["NamespaceName"] = $"{prefix}-http", ["ServiceName"] = "web" }),
            Call("TagResource", new JsonObject { ["ResourceARN"] = nsArn, ["Tags"] = Tags(("env", "test")) }),
            Call("UntagResource", new JsonObject { ["ResourceARN"] = nsArn, ["TagKeys"] = new JsonArray("team") }),
            Call("ListTagsForResource", new JsonObject { ["ResourceARN"] = nsArn }),
            Call("ListOperations", new JsonObject { ["Filters"] = new JsonArray(FilterItem("TYPE", "EQ", "REGISTER_INSTANCE"), FilterItem("SERVICE_ID", "EQ", serviceId)) }),
            Call("GetService", new JsonObject { ["Id"] = "srv-doesnotexist000" }),
            Call("GetInstance", new JsonObject { ["ServiceId"] = serviceId, ["InstanceId"] = "absent" }),
            Call("DeleteNamespace", new JsonObject { ["Id"] = httpId }),
            Call("DeleteService", new JsonObject { ["Id"] = serviceId }),
            Call("DiscoverInstances", new JsonObject { ["NamespaceName"] = $"{prefix}-http", ["ServiceName"] = "absent" }));
        Assert.Equal("web", Ok(round4[0])["Service"]!["Name"]!.GetValue<string>());
        Assert.Equal(serviceId, Assert.Single(Ok(round4[1])["Services"]!.AsArray())!["Id"]!.GetValue<string>());
        Ok(round4[2]);
        Ok(round4[3]);
        Ok(round4[4]);
        Assert.Equal("{\"b\":\"2\"}", Ok(round4[5])["ServiceAttributes"]!["Attributes"]!.ToJsonString());
        Ok(round4[6]);
        Ok(round4[7]);
        Ok(round4[8]);
        Assert.Contains("AWS_INSTANCE_IPV4", Fails(round4[9], "InvalidInput"));
        Assert.Equal("10.0.0.2", Ok(round4[10])["Instance"]!["Attributes"]!["AWS_INSTANCE_IPV4"]!.GetValue<string>());
        var instancesPage = Ok(round4[11]);
        Assert.Equal(["i-1", "i-2"], instancesPage["Instances"]!.AsArray().Select(i => i!["Id"]!.GetValue<string>()));
        var instancesToken = instancesPage["NextToken"]!.GetValue<string>();
        var health = Ok(round4[12])["Status"]!;
        Assert.Equal(("HEALTHY", "UNHEALTHY", "HEALTHY"), (health["i-1"]!.GetValue<string>(), health["i-2"]!.GetValue<string>(), health["i-3"]!.GetValue<string>()));
        Ok(round4[13]);
        var zoneA = Ok(round4[14]);
        Assert.Equal(["i-1"], zoneA["Instances"]!.AsArray().Select(i => i!["InstanceId"]!.GetValue<string>()));
        Assert.Equal(["i-1", "i-2", "i-3"], Ok(round4[15])["Instances"]!.AsArray().Select(i => i!["InstanceId"]!.GetValue<string>()));
        Assert.Equal(4, Ok(round4[16])["InstancesRevision"]!.GetValue<long>());
        Assert.Equal(4, zoneA["InstancesRevision"]!.GetValue<long>());
        Ok(round4[17]);
        Ok(round4[18]);
        Assert.Equal("env", Assert.Single(Ok(round4[19])["Tags"]!.AsArray())!["Key"]!.GetValue<string>());
        Assert.Equal(3, Ok(round4[20])["Operations"]!.AsArray().Count);
        Fails(round4[21], "ServiceNotFound");
        Fails(round4[22], "InstanceNotFound");
        Fails(round4[23], "ResourceInUse");
        Fails(round4[24], "ResourceInUse");
        Fails(round4[25], "ServiceNotFound");

        // Round 5: the second page, then everything away.
        var round5 = await Run(
            Call("ListInstances", new JsonObject { ["ServiceId"] = serviceId, ["MaxResults"] = 2, ["NextToken"] = instancesToken }),
            Call("DeregisterInstance", new JsonObject { ["ServiceId"] = serviceId, ["InstanceId"] = "i-1" }),
            Call("DeregisterInstance", new JsonObject { ["ServiceId"] = serviceId, ["InstanceId"] = "i-2" }),
            Call("DeregisterInstance", new JsonObject { ["ServiceId"] = serviceId, ["InstanceId"] = "i-3" }),
            Call("DeregisterInstance", new JsonObject { ["ServiceId"] = serviceId, ["InstanceId"] = "i-3" }),
            Call("DeleteService", new JsonObject { ["Id"] = serviceId }),
            Call("DeleteNamespace", new JsonObject { ["Id"] = httpId }),
            Call("DeleteNamespace", new JsonObject { ["Id"] = privateId }),
            Call("DeleteNamespace", new JsonObject { ["Id"] = publicId }),
            Call("ListNamespaces", new JsonObject { ["Filters"] = Filter("NAME", "BEGINS_WITH", prefix) }));
        var secondPage = Ok(round5[0]);
        Assert.Equal(["i-3"], secondPage["Instances"]!.AsArray().Select(i => i!["Id"]!.GetValue<string>()));
        Assert.Null(secondPage["NextToken"]);
        for (var i = 1; i <= 3; i++)
        {
            Assert.NotNull(Ok(round5[i])["OperationId"]);
        }

        Fails(round5[4], "InstanceNotFound");
        Ok(round5[5]);
        Ok(round5[6]);
        Ok(round5[7]);
        Ok(round5[8]);
        Assert.Empty(Ok(round5[9])["Namespaces"]!.AsArray());
    }

    private static SdkCall Register(string serviceId, string instanceId, params (string Key, string Value)[] attributes) =>
        new("RegisterInstance", new JsonObject
        {
            ["ServiceId"] = serviceId,
            ["InstanceId"] = instanceId,
            ["Attributes"] = new JsonObject(attributes.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)JsonValue.Create(a.Value)))),
        });

    private static JsonArray Tags(params (string Key, string Value)[] tags) =>
        new(tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }).ToArray());

    private static JsonArray Filter(string name, string condition, string value) => new(FilterItem(name, condition, value));

    private static JsonObject FilterItem(string name, string condition, string value) =>
        new() { ["Name"] = name, ["Condition"] = condition, ["Values"] = new JsonArray(value) };

    private static JsonNode Ok(JsonNode? result)
    {
        Assert.True(result!["ok"]!.GetValue<bool>(), $"Expected success: {result.ToJsonString()}");
        return result["output"]!;
    }

    /// <summary>Asserts the SDK raised the modeled Cloud Map exception; returns its message.</summary>
    private static string Fails(JsonNode? result, string code)
    {
        var context = result!.ToJsonString();
        Assert.False(result["ok"]!.GetValue<bool>(), $"Expected {code}: {context}");
        Assert.Equal(code, (result["code"] ?? result["name"])!.GetValue<string>());
        Assert.True(result["modeled"]!.GetValue<bool>(), $"Expected the SDK's own {code} exception class: {context}");
        Assert.Equal(400, result["status"]!.GetValue<int>());
        return result["message"]!.GetValue<string>();
    }
}
