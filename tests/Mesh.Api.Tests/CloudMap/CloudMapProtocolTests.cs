using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.CloudMap;
using Mesh.Api.Security;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Persistence;
using Mesh.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests.CloudMap;

/// <summary>
/// The awsJson1.1 wire of the Cloud Map API as the SDKs rely on it, checked byte for byte where the SDK suites
/// cannot see: the error body's <c>__type</c>, the content type, SigV4 scoped to servicediscovery, servicediscovery:*
/// policies, the audit record and change row committed with each write, and bad input never answered with a 5xx.
/// </summary>
public sealed class CloudMapProtocolTests(ApiServer api) : IClassFixture<ApiServer>
{
    private const string Target = "Route53AutoNaming_v20170314.";

    [Fact]
    public async Task Error_CarriesTypeAndMessage_InTheBody()
    {
        using var client = CloudMapClient(api.AdminKey);
        var (status, type, body) = await SendAsync(client, "GetNamespace", """{"Id":"ns-absent"}""");
        Assert.Equal(400, status);
        Assert.Equal(ContentType, type);
        Assert.Equal("NamespaceNotFound", body!["__type"]!.GetValue<string>());
        Assert.Equal("Namespace ns-absent does not exist.", body["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("GetNamespace", "{", "not valid JSON")]
    [InlineData("GetNamespace", "[]", "must be a JSON object")]
    [InlineData("GetNamespace", "{}", "Id: is required")]
    [InlineData("GetNamespace", """{"Id":"ns-a","Id":"ns-b"}""", "member \"Id\" appears more than once")]
    [InlineData("GetNamespace", """{"Id":"\ud800"}""", "the string at Id is not valid UTF-8 or holds an unpaired UTF-16 surrogate escape")]
    [InlineData("RegisterInstance", """{"ServiceId":"srv-x","InstanceId":"bad id!","Attributes":{"k":"v\u0001"}}""", "InstanceId: must match")]
    [InlineData("ListNamespaces", """{"MaxResults":0,"Filters":[{"Name":"COLOR","Values":["x"]}]}""", "MaxResults: must be at least 1")]
    [InlineData("ListNamespaces", """{"Filters":[{"Name":"TYPE","Condition":"BETWEEN","Values":["HTTP"]}]}""", "Filters[0].Condition")]
    [InlineData("ListInstances", """{"ServiceId":"srv-x","NextToken":"forged"}""", "ServiceNotFound")]
    [InlineData("ListOperations", """{"Filters":[{"Name":"STATUS","Condition":"IN","Values":["SUCCESS","BOGUS"]}]}""", "Filters[0].Values: STATUS is one of [SUBMITTED, PENDING, SUCCESS, FAIL], got \"BOGUS\"")]
    [InlineData("ListOperations", """{"Filters":[{"Name":"UPDATE_DATE","Condition":"BETWEEN","Values":["0","NaN"]}]}""", "Filters[0].Values: BETWEEN takes two timestamps")]
    [InlineData("ListNamespaces", """{"Filters":[{"Name":"RESOURCE_OWNER","Values":["GARBAGE"]}]}""", "Filters[0].Values: RESOURCE_OWNER is one of [SELF, OTHER_ACCOUNTS]")]
    public async Task BadInput_IsInvalidInputNamingThePlace(string operation, string body, string expected)
    {
        using var client = CloudMapClient(api.AdminKey);
        var (status, _, answer) = await SendAsync(client, operation, body);
        Assert.Equal(400, status);
        Assert.Contains(expected, answer!.ToJsonString().Replace("\\u0022", "\""));
    }

    [Fact]
    public async Task UnknownTarget_IsUnknownOperation()
    {
        using var client = CloudMapClient(api.AdminKey);
        var (status, _, body) = await SendAsync(client, "DeleteEverything", "{}");
        Assert.Equal(400, status);
        Assert.Equal("UnknownOperationException", body!["__type"]!.GetValue<string>());
    }

    /// <summary>
    /// Signed by botocore, independent of our signer: an X-Amz-Target with non-ASCII text (which no operation name has)
    /// is UnknownOperation whatever its whitespace (botocore folds U+00A0 and U+0085 as spaces when it signs, where
    /// other signers do not, so the signature could not decide), and a query whose escapes cannot be decoded is
    /// InvalidInput naming the parameter.
    /// </summary>
    [Theory]
    [InlineData("ListN\u00e4mespaces", "/", "UnknownOperationException", "X-Amz-Target names no Cloud Map operation: 'ListN\u00e4mespaces'.")]
    [InlineData("List\u00a0Namespaces", "/", "UnknownOperationException", "X-Amz-Target names no Cloud Map operation: 'List\u00a0Namespaces'.")]
    [InlineData("List\u0085Namespaces", "/", "UnknownOperationException", "X-Amz-Target names no Cloud Map operation: 'List?Namespaces'.")]
    [InlineData("ListNamespaces", "/?x=%", "InvalidInput", "The query string's parameter \"x\" has a value whose percent-encoding is not valid")]
    public async Task HostileTargetOrQuery_SignedByBotocore_IsNamedAsTheModelNamesIt(string operation, string path, string type, string message)
    {
        const string script = """
            import sys, json, http.client, urllib.parse
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            endpoint, path, key, secret, target = sys.argv[1:6]
            target = json.loads(target)
            request = AWSRequest(method="POST", url=endpoint + path, data=b"{}", headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
            SigV4Auth(Credentials(key, secret), "servicediscovery", "us-east-1").add_auth(request)
            prepared = request.prepare()
            parts = urllib.parse.urlsplit(endpoint)
            connection = http.client.HTTPConnection(parts.hostname, parts.port)
            connection.putrequest("POST", path, skip_accept_encoding=True)
            for name, value in prepared.headers.items():
                # As UTF-8: http.client would send a str header as Latin-1, which the server refuses as malformed.
                connection.putheader(name, value.encode("utf-8") if isinstance(value, str) else value)
            connection.endheaders(b"{}")
            response = connection.getresponse()
            print(json.dumps([response.status, json.loads(response.read())]))
            """;
        var start = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", script, api.BaseAddress.ToString().TrimEnd('/'), path, api.AdminKey.AccessKeyId, api.AdminKey.SecretAccessKey, System.Text.Json.JsonSerializer.Serialize(Target + operation) })
        {
            start.ArgumentList.Add(arg);
        }

        using var python = System.Diagnostics.Process.Start(start)!;
        var output = await python.StandardOutput.ReadToEndAsync() + await python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();
        Assert.True(python.ExitCode == 0, output);
        var answer = JsonNode.Parse(output)!.AsArray();
        Assert.True(answer[0]!.GetValue<int>() == 400, output);
        Assert.Equal(type, answer[1]!["__type"]!.GetValue<string>());
        Assert.StartsWith(message, answer[1]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task CompressedBody_IsInvalidInputSayingSo()
    {
        using var client = CloudMapClient(api.AdminKey);
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("{}"u8);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(compressed.ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Add("X-Amz-Target", Target + "ListNamespaces");
        using var response = await client.SendAsync(request);

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("InvalidInput", body["__type"]!.GetValue<string>());
        Assert.Equal("Content-Encoding \"gzip\" is not supported; send the body uncompressed.", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task SignedForAppMesh_IsRefused()
    {
        using var client = new HttpClient(new SigningHandler(api.AdminKey.AccessKeyId, api.AdminKey.SecretAccessKey, ApiServer.Region, "appmesh")) { BaseAddress = api.BaseAddress };
        var (status, _, body) = await SendAsync(client, "ListNamespaces", "{}");
        Assert.Equal(403, status);
        Assert.Equal("InvalidSignatureException", body!["__type"]!.GetValue<string>());
        Assert.Contains("'servicediscovery'", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unsigned_IsRefused()
    {
        using var client = new HttpClient { BaseAddress = api.BaseAddress };
        var (status, _, body) = await SendAsync(client, "ListNamespaces", "{}");
        Assert.Equal("MissingAuthenticationTokenException", body!["__type"]!.GetValue<string>());
        Assert.Equal(403, status);
    }

    [Fact]
    public async Task Policy_LimitsCloudMapActions()
    {
        var reader = await api.CreateKeyAsync(ApiServer.AccountId, KeyPolicy.ReadOnly);
        using var readOnly = CloudMapClient(reader);
        Assert.Equal(200, (await SendAsync(readOnly, "ListNamespaces", "{}")).Status);
        var (status, _, body) = await SendAsync(readOnly, "CreateHttpNamespace", """{"Name":"denied"}""");
        Assert.Equal(400, status);
        Assert.Equal("AccessDeniedException", body!["__type"]!.GetValue<string>());
        Assert.Contains("servicediscovery:CreateHttpNamespace", body["message"]!.GetValue<string>());

        var appMeshOnly = await api.CreateKeyAsync(ApiServer.AccountId, new KeyPolicy([new PolicyStatement(["appmesh:*"], ["*"])]));
        using var appMesh = CloudMapClient(appMeshOnly);
        Assert.Equal("AccessDeniedException", (await SendAsync(appMesh, "ListNamespaces", "{}")).Body!["__type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Write_CommitsItsAuditRecordAndChangeRow()
    {
        using var client = CloudMapClient(api.AdminKey);
        var (status, _, created) = await SendAsync(client, "CreateHttpNamespace", """{"Name":"audited"}""");
        Assert.Equal(200, status);
        var operationId = created!["OperationId"]!.GetValue<string>();
        var operation = (await SendAsync(client, "GetOperation", $$"""{"OperationId":"{{operationId}}"}""")).Body!["Operation"]!;
        var nsId = operation["Targets"]!["NAMESPACE"]!.GetValue<string>();
        var service = (await SendAsync(client, "CreateService", $$"""{"Name":"web","NamespaceId":"{{nsId}}"}""")).Body!["Service"]!;
        var serviceId = service["Id"]!.GetValue<string>();
        await SendAsync(client, "RegisterInstance", $$$"""{"ServiceId":"{{{serviceId}}}","InstanceId":"i-1","Attributes":{"AWS_INSTANCE_IPV4":"10.1.1.1"}}""");

        await using var db = new MeshDbContext(new DbContextOptionsBuilder<MeshDbContext>().UseNpgsql(api.ConnectionString).Options);
        var actions = await db.AuditLog.Where(a => a.Action.StartsWith("servicediscovery:") && a.StatusCode == 200).Select(a => a.Action).ToListAsync();
        Assert.Contains("servicediscovery:CreateHttpNamespace", actions);
        Assert.Contains("servicediscovery:RegisterInstance", actions);
        var changes = await db.Changes.Where(c => c.ParentName == "audited").OrderBy(c => c.Seq).ToListAsync();
        Assert.Equal(
            [(CloudMapChanges.NamespaceKind, "", "create"), (CloudMapChanges.ServiceKind, "web", "create"), (CloudMapChanges.InstanceKind, "web", "create")],
            changes.Select(c => (c.Kind, c.Name, c.Operation)));
        Assert.All(changes, c => Assert.Equal("", c.MeshName));
        Assert.Equal(1, changes[^1].Version);
    }

    [Fact]
    public async Task RouteFiftyThreeHealthChecks_AreTakenInHttpAndPublicNamespaces_NotPrivateOnes()
    {
        using var client = CloudMapClient(api.AdminKey);
        async Task<string> NamespaceAsync(string operation, string body) => (await CreateNamespaceAsync(client, operation, body)).NamespaceId;

        const string check = "\"HealthCheckConfig\":{\"Type\":\"HTTP\",\"ResourcePath\":\"/health\",\"FailureThreshold\":2}";
        var http = await NamespaceAsync("CreateHttpNamespace", """{"Name":"checked-http"}""");
        var (status, _, created) = await SendAsync(client, "CreateService", "{\"Name\":\"web\",\"NamespaceId\":\"" + http + "\"," + check + "}");
        Assert.Equal(200, status);
        Assert.Equal("/health", created!["Service"]!["HealthCheckConfig"]!["ResourcePath"]!.GetValue<string>());

        var privateDns = await NamespaceAsync("CreatePrivateDnsNamespace", """{"Name":"checked.private","Vpc":"vpc-1"}""");
        var records = "\"DnsConfig\":{\"DnsRecords\":[{\"Type\":\"A\",\"TTL\":60}]}";
        var (refused, _, answer) = await SendAsync(client, "CreateService", "{\"Name\":\"web\",\"NamespaceId\":\"" + privateDns + "\"," + records + "," + check + "}");
        Assert.Equal(400, refused);
        Assert.Contains("private DNS namespace", answer!["message"]!.GetValue<string>());

        // Nor can an update add one there.
        var plain = (await SendAsync(client, "CreateService", "{\"Name\":\"plain\",\"NamespaceId\":\"" + privateDns + "\"," + records + "}")).Body!["Service"]!["Id"]!.GetValue<string>();
        var (updated, _, updateAnswer) = await SendAsync(client, "UpdateService", "{\"Id\":\"" + plain + "\",\"Service\":{" + check + "}}");
        Assert.Equal(400, updated);
        Assert.Equal("InvalidInput", updateAnswer!["__type"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateService_InAPublicNamespace_DeletesAHealthCheckLeftOut_AndKeepsOneGiven()
    {
        // UpdateService: "If you omit any existing DnsRecords or HealthCheckConfig configurations ... they are deleted".
        using var client = CloudMapClient(api.AdminKey);
        var operationId = (await SendAsync(client, "CreatePublicDnsNamespace", """{"Name":"checked.example.com"}""")).Body!["OperationId"]!.GetValue<string>();
        var ns = (await SendAsync(client, "GetOperation", $$"""{"OperationId":"{{operationId}}"}""")).Body!["Operation"]!["Targets"]!["NAMESPACE"]!.GetValue<string>();
        const string records = "\"DnsConfig\":{\"DnsRecords\":[{\"Type\":\"A\",\"TTL\":60}]}";
        const string check = "\"HealthCheckConfig\":{\"Type\":\"HTTPS\",\"ResourcePath\":\"/health\",\"FailureThreshold\":2}";
        var id = (await SendAsync(client, "CreateService", "{\"Name\":\"web\",\"NamespaceId\":\"" + ns + "\"," + records + "," + check + "}")).Body!["Service"]!["Id"]!.GetValue<string>();

        Assert.Equal(200, (await SendAsync(client, "UpdateService", "{\"Id\":\"" + id + "\",\"Service\":{" + records + "," + check + "}}")).Status);
        Assert.Equal("/health", (await SendAsync(client, "GetService", "{\"Id\":\"" + id + "\"}")).Body!["Service"]!["HealthCheckConfig"]!["ResourcePath"]!.GetValue<string>());

        Assert.Equal(200, (await SendAsync(client, "UpdateService", "{\"Id\":\"" + id + "\",\"Service\":{" + records + "}}")).Status);
        Assert.Null((await SendAsync(client, "GetService", "{\"Id\":\"" + id + "\"}")).Body!["Service"]!["HealthCheckConfig"]);

        // And ListNamespaces takes BEGINS_WITH on TYPE, as Cloud Map documents.
        var listed = (await SendAsync(client, "ListNamespaces", """{"Filters":[{"Name":"TYPE","Condition":"BEGINS_WITH","Values":["DNS_PUB"]}]}""")).Body!;
        Assert.Contains(listed["Namespaces"]!.AsArray(), n => n!["Id"]!.GetValue<string>() == ns);
        Assert.All(listed["Namespaces"]!.AsArray(), n => Assert.Equal("DNS_PUBLIC", n!["Type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Lists_PageInByteOrder_AcrossTheDatabaseBatches()
    {
        using var client = CloudMapClient(api.AdminKey);
        var created = (await SendAsync(client, "CreateHttpNamespace", """{"Name":"paged"}""")).Body!;
        var operation = (await SendAsync(client, "GetOperation", $$"""{"OperationId":"{{created["OperationId"]}}"}""")).Body!["Operation"]!;
        var nsId = operation["Targets"]!["NAMESPACE"]!.GetValue<string>();
        var serviceId = (await SendAsync(client, "CreateService", $$"""{"Name":"many","NamespaceId":"{{nsId}}"}""")).Body!["Service"]!["Id"]!.GetValue<string>();

        // More instances than one database batch, with ids whose byte order differs from a locale's (case, punctuation).
        var ids = Enumerable.Range(0, CloudMapPages.BatchSize + 37)
            .Select(i => (i % 4) switch { 0 => $"B-{i}", 1 => $"a_{i}", 2 => $"a.{i}", _ => $"Z{i}" }).ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) =>
        {
            var (status, _, body) = await SendAsync(client, "RegisterInstance", $$$"""{"ServiceId":"{{{serviceId}}}","InstanceId":"{{{id}}}","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1"}}""");
            Assert.True(status == 200, body?.ToJsonString());
        });

        var listed = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var next = token is null ? "" : $$""","NextToken":"{{token}}" """;
            var page = (await SendAsync(client, "ListInstances", $$"""{"ServiceId":"{{serviceId}}","MaxResults":50{{next}}}""")).Body!;
            listed.AddRange(page["Instances"]!.AsArray().Select(i => i!["Id"]!.GetValue<string>()));
            token = page["NextToken"]?.GetValue<string>();
            pages++;
        }
        while (token is not null && pages < 20);

        Assert.Equal(ids.Order(StringComparer.Ordinal).ToList(), listed);
        Assert.Equal(5, pages);

        // A filter that only the API evaluates, matching one operation among hundreds: found across batches.
        var namespaces = (await SendAsync(client, "ListOperations", $$"""{"Filters":[{"Name":"NAMESPACE_ID","Values":["{{nsId}}"]},{"Name":"TYPE","Values":["CREATE_NAMESPACE"]}]}""")).Body!;
        Assert.Equal(created["OperationId"]!.GetValue<string>(), Assert.Single(namespaces["Operations"]!.AsArray())!["Id"]!.GetValue<string>());

        // Health of named instances, one of them unknown: the unknown one is named.
        var (healthStatus, _, health) = await SendAsync(client, "GetInstancesHealthStatus", $$"""{"ServiceId":"{{serviceId}}","Instances":["{{ids[0]}}","nope"]}""");
        Assert.Equal(400, healthStatus);
        Assert.Contains("nope", health!["message"]!.GetValue<string>());
        var known = (await SendAsync(client, "GetInstancesHealthStatus", $$"""{"ServiceId":"{{serviceId}}","Instances":["{{ids[0]}}","{{ids[1]}}"]}""")).Body!;
        Assert.Equal([ids[0], ids[1]], known["Status"]!.AsObject().Select(p => p.Key).ToArray());
    }

    [Fact]
    public async Task RefusedCall_IsAuditedUnderItsServiceDiscoveryAction()
    {
        using var client = new HttpClient(new SigningHandler(api.AdminKey.AccessKeyId, "wrong-secret", ApiServer.Region, "servicediscovery")) { BaseAddress = api.BaseAddress };
        var (status, _, body) = await SendAsync(client, "DeleteNamespace", """{"Id":"ns-x"}""");
        Assert.Equal(403, status);
        Assert.Equal("InvalidSignatureException", body!["__type"]!.GetValue<string>());
        var audit = api.Services.GetRequiredService<AuditLog>();
        await audit.FlushAsync(CancellationToken.None);
        var records = await audit.ListAsync(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1), null, CancellationToken.None);
        Assert.Contains(records, r => r.Action == "servicediscovery:DeleteNamespace" && r.ErrorCode == "InvalidSignatureException");
    }

    public static TheoryData<string> Operations() => [.. Mesh.Model.Wire.ServiceModel.CloudMap.Operations.Select(o => o.Name)];

    /// <summary>
    /// Every operation with inputs of the wrong kind in every member, and with nothing at all: always a 4xx with
    /// __type, never a 5xx, and a message that names each member it refuses.
    /// </summary>
    [Theory]
    [MemberData(nameof(Operations))]
    public async Task WrongTypes_AreRefusedByName_NeverA5xx(string operation)
    {
        using var client = CloudMapClient(api.AdminKey);
        var model = Mesh.Model.Wire.ServiceModel.CloudMap;
        var input = model.Shape(model.OperationsByName[operation].InputShape!);
        var wrong = new JsonObject();
        foreach (var member in input.Members)
        {
            wrong[member.Name] = model.Shape(member.ShapeName).Type switch
            {
                Mesh.Model.Wire.ShapeType.String => 12,
                Mesh.Model.Wire.ShapeType.Integer or Mesh.Model.Wire.ShapeType.Long => "twelve",
                Mesh.Model.Wire.ShapeType.List => new JsonObject(),
                _ => new JsonArray(1, 2),
            };
        }

        var (status, _, body) = await SendAsync(client, operation, wrong.ToJsonString());
        Assert.Equal(400, status);
        Assert.Equal("InvalidInput", body!["__type"]!.GetValue<string>());
        var message = body["message"]!.GetValue<string>();
        Assert.All(input.Members, member => Assert.Contains(member.Name + ":", message));

        var (emptyStatus, _, emptyBody) = await SendAsync(client, operation, "{}");
        Assert.InRange(emptyStatus, 200, 499);
        if (input.Required.Count > 0)
        {
            Assert.Equal("InvalidInput", emptyBody!["__type"]!.GetValue<string>());
            Assert.All(input.Required, name => Assert.Contains($"{name}: is required", emptyBody["message"]!.GetValue<string>()));
        }
    }

    [Theory]
    [InlineData("AWS_INSTANCE_IPV4", "010.1.1.1")]
    [InlineData("AWS_INSTANCE_IPV4", "0xa.2.2.2")]
    [InlineData("AWS_INSTANCE_IPV4", "10.1")]
    [InlineData("AWS_INSTANCE_IPV6", "fe80::1%lo")]
    [InlineData("AWS_INSTANCE_PORT", "8080\u0000")]
    public async Task InstanceAddressesAndPorts_AreTakenOnlyAsWritten(string attribute, string value)
    {
        // .NET would read each of these as some address or port, but not the one every other client reads (or as none).
        using var client = CloudMapClient(api.AdminKey);
        var service = await ServiceAsync(client, $"literal-{Guid.NewGuid():N}"[..20]);
        var attributes = new JsonObject { ["AWS_INSTANCE_IPV4"] = "10.0.0.1", ["AWS_INSTANCE_PORT"] = "8080" };
        attributes[attribute] = value;
        var (status, _, answer) = await SendAsync(client, "RegisterInstance", new JsonObject { ["ServiceId"] = service, ["InstanceId"] = "i-1", ["Attributes"] = attributes.DeepClone() }.ToJsonString());
        Assert.Equal(400, status);
        Assert.Equal("InvalidInput", answer!["__type"]!.GetValue<string>());
        Assert.Contains(attribute, answer["message"]!.GetValue<string>());

        attributes[attribute] = attribute == "AWS_INSTANCE_PORT" ? "8080" : attribute == "AWS_INSTANCE_IPV6" ? "fe80::1" : "10.1.1.1";
        var (accepted, _, _) = await SendAsync(client, "RegisterInstance", new JsonObject { ["ServiceId"] = service, ["InstanceId"] = "i-1", ["Attributes"] = attributes.DeepClone() }.ToJsonString());
        Assert.Equal(200, accepted);
    }

    [Fact]
    public async Task OptionalParameters_NarrowOnlyWhatTheHealthFilterReturns()
    {
        using var client = CloudMapClient(api.AdminKey);
        var name = $"optional-{Guid.NewGuid():N}"[..20];
        var service = await ServiceAsync(client, name, ""","HealthCheckCustomConfig":{}""");
        foreach (var (id, color, health) in new[] { ("healthy", "green", "HEALTHY"), ("sick", "blue", "UNHEALTHY") })
        {
            var attributes = new JsonObject { ["AWS_INSTANCE_IPV4"] = "10.0.0.1", ["stage"] = "prod", ["color"] = color, ["AWS_INIT_HEALTH_STATUS"] = health };
            Assert.Equal(200, (await SendAsync(client, "RegisterInstance", new JsonObject { ["ServiceId"] = service, ["InstanceId"] = id, ["Attributes"] = attributes }.ToJsonString())).Status);
        }

        async Task<string[]> DiscoverAsync(string health) =>
            (await SendAsync(client, "DiscoverInstances", $$$"""{"NamespaceName":"{{{name}}}","ServiceName":"web","HealthStatus":"{{{health}}}","QueryParameters":{"stage":"prod"},"OptionalParameters":{"color":"blue"}}"""))
                .Body!["Instances"]!.AsArray().Select(i => i!["InstanceId"]!.GetValue<string>()).ToArray();

        // The unhealthy instance is the only one with color=blue; it must not hide the healthy one from a HEALTHY query.
        Assert.Equal(["healthy"], await DiscoverAsync("HEALTHY"));
        Assert.Equal(["sick"], await DiscoverAsync("ALL"));
    }

    [Fact]
    public async Task InstancesOfAServiceWithNoHealthCheck_AreUnknown_AndStillDiscoveredAsHealthy()
    {
        // Cloud Map answers UNKNOWN for an instance nothing checks, and routes to it "regardless of the instances' health
        // status": DiscoverInstances' HealthStatus "is ignored for services that don't have a health check configured,
        // and all instances are returned", by an UNHEALTHY query too.
        using var client = CloudMapClient(api.AdminKey);
        var name = $"unknown-{Guid.NewGuid():N}"[..20];
        var service = await ServiceAsync(client, name);
        Assert.Equal(200, (await SendAsync(client, "RegisterInstance", $$$"""{"ServiceId":"{{{service}}}","InstanceId":"i-1","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1"}}""")).Status);

        async Task<string[]> DiscoverAsync(string health) =>
            (await SendAsync(client, "DiscoverInstances", $$"""{"NamespaceName":"{{name}}","ServiceName":"web","HealthStatus":"{{health}}"}"""))
                .Body!["Instances"]!.AsArray().Select(i => $"{i!["InstanceId"]}:{i["HealthStatus"]}").ToArray();
        Assert.Equal(["i-1:UNKNOWN"], await DiscoverAsync("HEALTHY"));
        Assert.Equal(["i-1:UNKNOWN"], await DiscoverAsync("HEALTHY_OR_ELSE_ALL"));
        Assert.Equal(["i-1:UNKNOWN"], await DiscoverAsync("ALL"));
        Assert.Equal(["i-1:UNKNOWN"], await DiscoverAsync("UNHEALTHY"));
        Assert.Equal("UNKNOWN", (await SendAsync(client, "GetInstancesHealthStatus", $$"""{"ServiceId":"{{service}}"}""")).Body!["Status"]!["i-1"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnOwnerAccountOtherThanTheCallers_NamesNoNamespace_AndSaysWhy()
    {
        using var client = CloudMapClient(api.AdminKey);
        var name = $"owner-{Guid.NewGuid():N}"[..20];
        await ServiceAsync(client, name, "");
        Assert.Equal(200, (await SendAsync(client, "DiscoverInstances", $$"""{"NamespaceName":"{{name}}","ServiceName":"web","OwnerAccount":"{{ApiServer.AccountId}}"}""")).Status);

        foreach (var operation in new[] { "DiscoverInstances", "DiscoverInstancesRevision" })
        {
            var (status, _, answer) = await SendAsync(client, operation, $$"""{"NamespaceName":"{{name}}","ServiceName":"web","OwnerAccount":"444455556666"}""");
            Assert.Equal(400, status);
            Assert.Equal("NamespaceNotFound", answer!["__type"]!.GetValue<string>());
            // The namespace exists in the caller's account: "no namespace is named ..." alone would send the reader looking for a typo.
            Assert.Equal(
                $"No namespace named '{name}' is owned by account 444455556666 (OwnerAccount): namespaces are not shared between accounts here, so OwnerAccount must be the caller's own, {ApiServer.AccountId}.",
                answer["message"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task GetOperation_WithAnOwnerAccountOtherThanTheCallers_NamesNoOperation_AndSaysWhy()
    {
        using var client = CloudMapClient(api.AdminKey);
        var (_, operationId) = await CreateNamespaceAsync(client, "CreateHttpNamespace", $$"""{"Name":"op-owner-{{Guid.NewGuid():N}}"}""");
        Assert.Equal(200, (await SendAsync(client, "GetOperation", $$"""{"OperationId":"{{operationId}}","OwnerAccount":"{{ApiServer.AccountId}}"}""")).Status);

        var (status, _, answer) = await SendAsync(client, "GetOperation", $$"""{"OperationId":"{{operationId}}","OwnerAccount":"444455556666"}""");
        Assert.Equal(400, status);
        Assert.Equal("OperationNotFound", answer!["__type"]!.GetValue<string>());
        Assert.Equal(
            $"Operation {operationId} is not owned by account 444455556666 (OwnerAccount): namespaces are not shared between accounts here, so OwnerAccount must be the caller's own, {ApiServer.AccountId}.",
            answer["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnOversizedBody_IsTheModelsInvalidInput()
    {
        using var client = CloudMapClient(api.AdminKey);
        var body = "{\"Name\":\"big\",\"Description\":\"" + new string('d', 1_100_000) + "\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        request.Headers.Add("X-Amz-Target", Target + "CreateHttpNamespace");
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("InvalidInput", answer["__type"]!.GetValue<string>());
        Assert.Equal("InvalidInput", response.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Contains("larger than the", answer["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(""","DnsConfig":{"DnsRecords":[]}""", "DnsConfig.DnsRecords: must hold at least one record")]
    [InlineData(""","DnsConfig":{"DnsRecords":[{"Type":"A","TTL":60},{"Type":"A","TTL":30}]}""", "holds A 2 times")]
    [InlineData(""","DnsConfig":{"RoutingPolicy":"MULTIVALUE","DnsRecords":[{"Type":"CNAME","TTL":60}]}""", "a CNAME record needs the WEIGHTED routing policy")]
    [InlineData(""","DnsConfig":{"RoutingPolicy":"WEIGHTED","DnsRecords":[{"Type":"CNAME","TTL":60},{"Type":"A","TTL":60}]}""", "a CNAME record must be the service's only record")]
    [InlineData(""","HealthCheckConfig":{"Type":"TCP","ResourcePath":"/x"}""", "HealthCheckConfig.ResourcePath: is for HTTP and HTTPS health checks")]
    [InlineData(""","DnsConfig":{"NamespaceId":"ns-other","DnsRecords":[{"Type":"A","TTL":60}]}""", "DnsConfig.NamespaceId: names namespace ns-other")]
    [InlineData(""","DnsConfig":{"RoutingPolicy":"WEIGHTED","DnsRecords":[{"Type":"CNAME","TTL":60}]},"HealthCheckConfig":{"Type":"HTTP"}""", "HealthCheckConfig: a service with a CNAME record takes no Route 53 health check")]
    public async Task AServiceCloudMapWouldNotHold_IsRefused(string extra, string expected)
    {
        using var client = CloudMapClient(api.AdminKey);
        var (namespaceId, _) = await CreateNamespaceAsync(client, "CreatePublicDnsNamespace", $$"""{"Name":"rules-{{Guid.NewGuid():N}}.example"}""");
        var (status, _, answer) = await SendAsync(client, "CreateService", "{\"Name\":\"web\",\"NamespaceId\":\"" + namespaceId + "\"" + extra + "}");
        Assert.Equal(400, status);
        Assert.Equal("InvalidInput", answer!["__type"]!.GetValue<string>());
        Assert.Contains(expected, answer["message"]!.GetValue<string>());
        Assert.Empty((await SendAsync(client, "ListServices", $$$"""{"Filters":[{"Name":"NAMESPACE_ID","Values":["{{{namespaceId}}}"]}]}""")).Body!["Services"]!.AsArray());
    }

    [Fact]
    public async Task UpdateService_CannotPairACnameRecordWithARouteFiftyThreeHealthCheck()
    {
        // HealthCheckConfig: "You can't specify settings for HealthCheckConfig when the DNSConfig includes CNAME".
        using var client = CloudMapClient(api.AdminKey);
        var (ns, _) = await CreateNamespaceAsync(client, "CreatePublicDnsNamespace", $$"""{"Name":"cname-{{Guid.NewGuid():N}}.example"}""");
        const string cname = "\"DnsConfig\":{\"RoutingPolicy\":\"WEIGHTED\",\"DnsRecords\":[{\"Type\":\"CNAME\",\"TTL\":60}]}";
        const string check = "\"HealthCheckConfig\":{\"Type\":\"HTTP\",\"ResourcePath\":\"/health\"}";
        var id = (await SendAsync(client, "CreateService", "{\"Name\":\"web\",\"NamespaceId\":\"" + ns + "\"," + cname + "}")).Body!["Service"]!["Id"]!.GetValue<string>();

        var (status, _, answer) = await SendAsync(client, "UpdateService", "{\"Id\":\"" + id + "\",\"Service\":{" + cname + "," + check + "}}");
        Assert.Equal(400, status);
        Assert.Equal("InvalidInput", answer!["__type"]!.GetValue<string>());
        Assert.Contains("CNAME", answer["message"]!.GetValue<string>());
        Assert.Null((await SendAsync(client, "GetService", "{\"Id\":\"" + id + "\"}")).Body!["Service"]!["HealthCheckConfig"]);
    }

    [Theory]
    [InlineData("CreateHttpNamespace", """{"Name":"port-{0}"}""", "")]
    [InlineData("CreatePublicDnsNamespace", """{"Name":"port-{0}.example"}""", ""","DnsConfig":{"DnsRecords":[{"Type":"A","TTL":60}]}""")]
    public async Task AnInstanceOfAServiceWithARouteFiftyThreeHealthCheck_NeedsAPort(string operation, string namespaceBody, string records)
    {
        // RegisterInstance, AWS_INSTANCE_PORT: "required if you specified settings for an SRV record or a Route 53 health check".
        using var client = CloudMapClient(api.AdminKey);
        var (ns, _) = await CreateNamespaceAsync(client, operation, namespaceBody.Replace("{0}", Guid.NewGuid().ToString("N")));
        var service = (await SendAsync(client, "CreateService", "{\"Name\":\"web\",\"NamespaceId\":\"" + ns + "\"" + records + ",\"HealthCheckConfig\":{\"Type\":\"TCP\"}}")).Body!["Service"]!["Id"]!.GetValue<string>();
        string Register(string attributes) => $$$"""{"ServiceId":"{{{service}}}","InstanceId":"i-1","Attributes":{{{attributes}}}}""";

        var (status, _, answer) = await SendAsync(client, "RegisterInstance", Register("""{"AWS_INSTANCE_IPV4":"10.0.0.1"}"""));
        Assert.Equal(400, status);
        Assert.Equal("InvalidInput", answer!["__type"]!.GetValue<string>());
        Assert.Contains("the service's Route 53 health check needs AWS_INSTANCE_PORT", answer["message"]!.GetValue<string>());
        Assert.Equal(200, (await SendAsync(client, "RegisterInstance", Register("""{"AWS_INSTANCE_IPV4":"10.0.0.1","AWS_INSTANCE_PORT":"8080"}"""))).Status);
    }

    [Fact]
    public async Task InstanceAttributes_HoldAtMostFiveThousandCharacters()
    {
        using var client = CloudMapClient(api.AdminKey);
        var service = await ServiceAsync(client, $"total-{Guid.NewGuid():N}"[..20]);
        var attributes = new JsonObject { ["AWS_INSTANCE_IPV4"] = "10.0.0.1" };
        for (var i = 0; i < 5; i++)
        {
            attributes[$"k{i}"] = new string('v', 1_000);
        }

        var (status, _, answer) = await SendAsync(client, "RegisterInstance", new JsonObject { ["ServiceId"] = service, ["InstanceId"] = "i-1", ["Attributes"] = attributes }.ToJsonString());
        Assert.Equal(400, status);
        Assert.Contains("at most 5000 characters", answer!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ListOperations_TakesANamespacesArn_AsItsId()
    {
        using var client = CloudMapClient(api.AdminKey);
        var (namespaceId, operationId) = await CreateNamespaceAsync(client, "CreateHttpNamespace", $$"""{"Name":"arn-filter-{{Guid.NewGuid():N}}"}""");
        var arn = (await SendAsync(client, "GetNamespace", $$"""{"Id":"{{namespaceId}}"}""")).Body!["Namespace"]!["Arn"]!.GetValue<string>();
        foreach (var value in new[] { namespaceId, arn })
        {
            var listed = (await SendAsync(client, "ListOperations", $$$"""{"Filters":[{"Name":"NAMESPACE_ID","Values":["{{{value}}}"]}]}""")).Body!["Operations"]!.AsArray();
            Assert.Equal([operationId], listed.Select(o => o!["Id"]!.GetValue<string>()));
        }
    }

    [Theory]
    [InlineData("arn:aws:servicediscovery:eu-west-1:111122223333:{0}", "it is in region 'eu-west-1'; this Cloud Map's region is us-east-1")]
    [InlineData("arn:aws:servicediscovery:us-east-1:123456789012:{0}", "it is of account '123456789012', not the caller's 111122223333")]
    [InlineData("arn:aws-cn:servicediscovery:us-east-1:111122223333:{0}", "it is in partition aws-cn; this Cloud Map's ARNs are in aws")]
    [InlineData("arn:aws:appmesh:us-east-1:111122223333:{0}", "it is an ARN of appmesh, not of servicediscovery")]
    [InlineData("arn:aws:servicediscovery:us-east-1::{0}", "it is of account '', not the caller's 111122223333")]
    [InlineData("arn:aws:servicediscovery:us-east-1:111122223333:namespace/{1}", "it names a namespace, not a service")]
    [InlineData("arn:aws:servicediscovery:us-east-1:111122223333:service/", "it has no single service id after service/")]
    [InlineData("arn:aws:servicediscovery:us-east-1:111122223333:service/x/{1}", "it has no single service id after service/")]
    public async Task AServiceArn_NotOfThisRegionAccountAndType_NamesNoService_AndChangesNothing(string template, string why)
    {
        using var client = CloudMapClient(api.AdminKey);
        var service = await ServiceAsync(client, $"foreign-{Guid.NewGuid():N}"[..20]);
        var arn = string.Format(template, "service/" + service, service);
        var calls = new (string Operation, string Body)[]
        {
            ("GetService", $$"""{"Id":"{{arn}}"}"""),
            ("UpdateService", $$$"""{"Id":"{{{arn}}}","Service":{"Description":"changed"}}"""),
            ("GetServiceAttributes", $$"""{"ServiceId":"{{arn}}"}"""),
            ("UpdateServiceAttributes", $$$"""{"ServiceId":"{{{arn}}}","Attributes":{"k":"v"}}"""),
            ("RegisterInstance", $$$"""{"ServiceId":"{{{arn}}}","InstanceId":"i-1","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1"}}"""),
            ("ListInstances", $$"""{"ServiceId":"{{arn}}"}"""),
            ("DeleteService", $$"""{"Id":"{{arn}}"}"""),
        };
        foreach (var (operation, body) in calls)
        {
            var (status, _, answer) = await SendAsync(client, operation, body);
            Assert.Equal(400, status);
            Assert.Equal("ServiceNotFound", answer!["__type"]!.GetValue<string>());
            Assert.Equal($"Service {arn} does not exist: {why}.", answer["message"]!.GetValue<string>());
        }

        var kept = (await SendAsync(client, "GetService", $$"""{"Id":"{{service}}"}""")).Body!["Service"]!;
        Assert.False(kept.AsObject().ContainsKey("Description"));
        Assert.Equal(0, kept["InstanceCount"]!.GetValue<int>());
        Assert.Empty((await SendAsync(client, "GetServiceAttributes", $$"""{"ServiceId":"{{service}}"}""")).Body!["ServiceAttributes"]!["Attributes"]!.AsObject());
    }

    [Fact]
    public async Task ANamespaceArn_OfAnotherRegion_NamesNoNamespace_ForItsReadsWritesAndServiceCreation()
    {
        using var client = CloudMapClient(api.AdminKey);
        var (namespaceId, _) = await CreateNamespaceAsync(client, "CreateHttpNamespace", $$"""{"Name":"foreign-ns-{{Guid.NewGuid():N}}"}""");
        var arn = $"arn:aws:servicediscovery:eu-west-1:{ApiServer.AccountId}:namespace/{namespaceId}";
        foreach (var (operation, body) in new[]
        {
            ("GetNamespace", $$"""{"Id":"{{arn}}"}"""),
            ("UpdateHttpNamespace", $$$"""{"Id":"{{{arn}}}","Namespace":{"Description":"changed"}}"""),
            ("CreateService", $$"""{"Name":"web","NamespaceId":"{{arn}}"}"""),
            ("DeleteNamespace", $$"""{"Id":"{{arn}}"}"""),
        })
        {
            var (status, _, answer) = await SendAsync(client, operation, body);
            Assert.Equal(400, status);
            Assert.Equal("NamespaceNotFound", answer!["__type"]!.GetValue<string>());
            Assert.Equal($"Namespace {arn} does not exist: it is in region 'eu-west-1'; this Cloud Map's region is us-east-1.", answer["message"]!.GetValue<string>());
        }

        var kept = (await SendAsync(client, "GetNamespace", $$"""{"Id":"{{namespaceId}}"}""")).Body!["Namespace"]!;
        Assert.False(kept.AsObject().ContainsKey("Description"));
        Assert.Equal(0, kept["ServiceCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task OwnArns_NameTheResource_InEveryIdMember()
    {
        using var client = CloudMapClient(api.AdminKey);
        var (namespaceId, _) = await CreateNamespaceAsync(client, "CreateHttpNamespace", $$"""{"Name":"own-arn-{{Guid.NewGuid():N}}"}""");
        var namespaceArn = $"arn:aws:servicediscovery:{ApiServer.Region}:{ApiServer.AccountId}:namespace/{namespaceId}";
        var created = (await SendAsync(client, "CreateService", $$"""{"Name":"web","NamespaceId":"{{namespaceArn}}"}""")).Body!["Service"]!;
        Assert.Equal(namespaceId, created["NamespaceId"]!.GetValue<string>());
        var serviceArn = created["Arn"]!.GetValue<string>();
        var (status, _, _) = await SendAsync(client, "RegisterInstance", $$$"""{"ServiceId":"{{{serviceArn}}}","InstanceId":"i-1","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1"}}""");
        Assert.Equal(200, status);
        Assert.Equal(1, (await SendAsync(client, "GetService", $$"""{"Id":"{{serviceArn}}"}""")).Body!["Service"]!["InstanceCount"]!.GetValue<int>());
        var listed = (await SendAsync(client, "ListServices", $$"""{"Filters":[{"Name":"NAMESPACE_ID","Values":["{{namespaceArn}}"]}]}""")).Body!["Services"]!.AsArray();
        Assert.Equal([created["Id"]!.GetValue<string>()], listed.Select(s => s!["Id"]!.GetValue<string>()));
        var foreignFilter = namespaceArn.Replace(ApiServer.AccountId, "123456789012");
        Assert.Empty((await SendAsync(client, "ListServices", $$"""{"Filters":[{"Name":"NAMESPACE_ID","Values":["{{foreignFilter}}"]}]}""")).Body!["Services"]!.AsArray());
    }

    /// <summary>
    /// A CreatorRequestId is remembered as long as its operation is kept (docs/cloud-map.md, README's Mesh:Retention):
    /// the same request sent again gets the first call's operation and changes nothing, and a different one with the
    /// id is DuplicateRequest; once Mesh:Retention:CloudMapOperations has pruned the operation, the id is free, and the
    /// request sent again is a new call with a new operation (AWS documents no time for which it remembers an id).
    /// </summary>
    [Fact]
    public async Task ACreatorRequestId_IsRememberedAsLongAsItsOperation()
    {
        using var client = CloudMapClient(api.AdminKey);
        var service = await ServiceAsync(client, $"retained-{Guid.NewGuid():N}"[..20]);
        var requestId = $"retained-{Guid.NewGuid():N}";
        string Register(string ip) => $$$"""{"ServiceId":"{{{service}}}","InstanceId":"i-1","CreatorRequestId":"{{{requestId}}}","Attributes":{"AWS_INSTANCE_IPV4":"{{{ip}}}"}}""";
        var first = (await SendAsync(client, "RegisterInstance", Register("10.0.0.1"))).Body!["OperationId"]!.GetValue<string>();
        Assert.Equal(first, (await SendAsync(client, "RegisterInstance", Register("10.0.0.1"))).Body!["OperationId"]!.GetValue<string>());
        Assert.Equal("DuplicateRequest", (await SendAsync(client, "RegisterInstance", Register("10.0.0.2"))).Body!["__type"]!.GetValue<string>());

        // The operation's time moved past the retention, then the table pruned as every round prunes it.
        await using (var connection = new Npgsql.NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var age = new Npgsql.NpgsqlCommand("UPDATE cloud_map_operations SET created_at = created_at - interval '91 days' WHERE id = $1", connection)
            {
                Parameters = { new Npgsql.NpgsqlParameter<string> { TypedValue = first } },
            };
            Assert.Equal(1, await age.ExecuteNonQueryAsync());
            var pruned = 0;
            await Mesh.Api.Resources.RetainedTable.CloudMapOperations.PruneAsync(connection, DateTimeOffset.UtcNow - new RetentionOptions().CloudMapOperations,
                Mesh.Api.Resources.RetentionPruner.DefaultBatchSize, batch => pruned += batch, CancellationToken.None);
            Assert.Equal(1, pruned);
        }

        Assert.Equal("OperationNotFound", (await SendAsync(client, "GetOperation", $$"""{"OperationId":"{{first}}"}""")).Body!["__type"]!.GetValue<string>());
        var (status, _, again) = await SendAsync(client, "RegisterInstance", Register("10.0.0.2"));
        Assert.Equal(200, status);
        var second = again!["OperationId"]!.GetValue<string>();
        Assert.NotEqual(first, second);
        Assert.Equal("10.0.0.2", (await SendAsync(client, "GetInstance", $$"""{"ServiceId":"{{service}}","InstanceId":"i-1"}""")).Body!["Instance"]!["Attributes"]!["AWS_INSTANCE_IPV4"]!.GetValue<string>());
        Assert.Equal(second, (await SendAsync(client, "RegisterInstance", Register("10.0.0.2"))).Body!["OperationId"]!.GetValue<string>());
    }

    /// <summary>An HTTP namespace named <paramref name="namespaceName"/> holding service "web"; its id.</summary>
    private static async Task<string> ServiceAsync(HttpClient client, string namespaceName, string extra = "")
    {
        var (namespaceId, _) = await CreateNamespaceAsync(client, "CreateHttpNamespace", $$"""{"Name":"{{namespaceName}}"}""");
        var (status, _, created) = await SendAsync(client, "CreateService", "{\"Name\":\"web\",\"NamespaceId\":\"" + namespaceId + "\"" + extra + "}");
        Assert.Equal(200, status);
        return created!["Service"]!["Id"]!.GetValue<string>();
    }

    /// <summary>Creates a namespace with <paramref name="operation"/>; its id, found through the create's operation, and that operation's id.</summary>
    private static async Task<(string NamespaceId, string OperationId)> CreateNamespaceAsync(HttpClient client, string operation, string body)
    {
        var operationId = (await SendAsync(client, operation, body)).Body!["OperationId"]!.GetValue<string>();
        var namespaceId = (await SendAsync(client, "GetOperation", $$"""{"OperationId":"{{operationId}}"}""")).Body!["Operation"]!["Targets"]!["NAMESPACE"]!.GetValue<string>();
        return (namespaceId, operationId);
    }

    private const string ContentType = "application/x-amz-json-1.1";

    private HttpClient CloudMapClient(IssuedKey key) =>
        new(new SigningHandler(key.AccessKeyId, key.SecretAccessKey, ApiServer.Region, "servicediscovery")) { BaseAddress = api.BaseAddress };

    private static async Task<(int Status, string? ContentType, JsonNode? Body)> SendAsync(HttpClient client, string operation, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        request.Headers.Add("X-Amz-Target", Target + operation);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{operation} answered {(int)response.StatusCode}: {text}");
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
