using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Model.Wire;

namespace Mesh.Api.Tests;

/// <summary>The served OpenAPI document, checked against the App Mesh model.</summary>
public sealed class OpenApiTests(ApiServer api) : IClassFixture<ApiServer>
{
    private static readonly ServiceModel Model = ServiceModel.AppMesh;

    [Fact]
    public async Task Document_HasEveryOperationWithItsBinding()
    {
        var document = await DocumentAsync();
        foreach (var operation in Model.Operations)
        {
            var item = document["paths"]![operation.PathTemplate]?[operation.HttpMethod.ToLowerInvariant()];
            Assert.True(item is not null, $"{operation.Name} ({operation.HttpMethod} {operation.PathTemplate}) is missing");
            Assert.Equal(operation.Name, item["operationId"]!.GetValue<string>());

            var input = Model.Shape(operation.InputShape!);
            var parameters = item["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToHashSet();
            foreach (var member in input.Members)
            {
                if (member.Location == MemberLocation.Body)
                {
                    Assert.True(item["requestBody"]!["required"]!.GetValue<bool>(), $"{operation.Name} must always send a JSON object body");
                    var body = Resolve(document, item["requestBody"]!["content"]!["application/json"]!["schema"]!);
                    Assert.NotNull(body["properties"]![member.Name]);
                }
                else
                {
                    Assert.Contains(member.LocationName, parameters);
                }
            }

            var errors = operation.Errors.Select(Model.Shape).Select(e => (e.Name, Status: e.ErrorStatusCode!.Value))
                .Concat([("MissingAuthenticationTokenException", 403), ("IncompleteSignatureException", 400), ("UnrecognizedClientException", 403), ("InvalidSignatureException", 403)]);
            foreach (var (name, status) in errors)
            {
                var response = item["responses"]![status.ToString()]!;
                Assert.Contains(name, response["description"]!.GetValue<string>());
                Assert.Equal("string", response["headers"]!["x-amzn-ErrorType"]!["schema"]!["type"]!.GetValue<string>());
            }
        }
    }

    [Fact]
    public async Task EveryResponse_DeclaresTheRequestIdHeader_ThatTheApiSends()
    {
        var document = await DocumentAsync();
        var declared = Resolve(document, document["components"]!["headers"]!["x-amzn-RequestId"]!);
        Assert.True(declared["required"]!.GetValue<bool>());

        foreach (var operation in Model.Operations)
        {
            var responses = document["paths"]![operation.PathTemplate]![operation.HttpMethod.ToLowerInvariant()]!["responses"]!.AsObject();
            Assert.All(responses, r => Assert.Equal("#/components/headers/x-amzn-RequestId", r.Value!["headers"]!["x-amzn-RequestId"]!["$ref"]!.GetValue<string>()));
        }

        // And the API does send it, on success and on error alike.
        Assert.NotNull((await api.SendAsync(HttpMethod.Get, Paths.Meshes)).RequestId);
        Assert.NotNull((await api.SendAsync(HttpMethod.Get, Paths.Mesh("no-such-mesh"))).AssertError(404, "NotFoundException").RequestId);
    }

    [Fact]
    public async Task PathParameters_ComeInThePathsOrder()
    {
        // Generated clients take parameters in document order: DescribeRoute(meshName, virtualRouterName, routeName).
        var document = await DocumentAsync();
        foreach (var operation in Model.Operations)
        {
            var parameters = document["paths"]![operation.PathTemplate]![operation.HttpMethod.ToLowerInvariant()]!["parameters"]!.AsArray();
            var inPath = System.Text.RegularExpressions.Regex.Matches(operation.PathTemplate, @"\{(\w+)\}").Select(m => m.Groups[1].Value);

            Assert.Equal(inPath, parameters.Where(p => p!["in"]!.GetValue<string>() == "path").Select(p => p!["name"]!.GetValue<string>()));
            Assert.All(parameters.SkipWhile(p => p!["in"]!.GetValue<string>() == "path"), p => Assert.Equal("query", p!["in"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task Schemas_CarryTheModelsConstraints()
    {
        var schemas = (await DocumentAsync())["components"]!["schemas"]!.AsObject();
        var checkedShapes = 0;
        foreach (var (name, schema) in schemas)
        {
            if (!Model.Shapes.TryGetValue(name, out var shape))
            {
                continue;
            }

            checkedShapes++;
            var (minKey, maxKey) = shape.Type switch
            {
                ShapeType.String => ("minLength", "maxLength"),
                ShapeType.List => ("minItems", "maxItems"),
                _ => ("minimum", "maximum"),
            };
            Assert.Equal(shape.Min, schema![minKey]?.GetValue<long>());
            Assert.Equal(shape.Max, schema[maxKey]?.GetValue<long>());
            Assert.Equal(shape.Enum, schema["enum"]?.AsArray().Select(v => v!.GetValue<string>()).ToList());
            foreach (var member in shape.Members.Where(m => m.Location == MemberLocation.Body))
            {
                Assert.Equal($"#/components/schemas/{member.ShapeName}", schema["properties"]![member.Name]!["$ref"]!.GetValue<string>());
            }
        }

        Assert.True(checkedShapes > 200, $"only {checkedShapes} shapes were described");
        Assert.Equal(65535, schemas["PortNumber"]!["maximum"]!.GetValue<long>());
    }

    [Fact]
    public async Task DocsPage_IsServed()
    {
        using var response = await api.Client.GetAsync("/docs/index.html");
        Assert.True(response.IsSuccessStatusCode);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Document_Names_A_Server_So_Generated_Clients_Get_Absolute_Urls()
    {
        var servers = (await DocumentAsync())["servers"]!.AsArray();

        Assert.Equal("http://127.0.0.1:8080", servers[0]!["url"]!.GetValue<string>());
        Assert.All(servers, s => Assert.False(string.IsNullOrWhiteSpace(s!["description"]!.GetValue<string>())));
    }

    [Fact]
    public async Task Every_App_Mesh_Operation_Requires_The_SigV4_Scheme_And_The_Host_Endpoints_None()
    {
        var document = await DocumentAsync();
        var scheme = document["components"]!["securitySchemes"]!["sigv4"]!;
        Assert.Equal("apiKey", scheme["type"]!.GetValue<string>());
        Assert.Equal("Authorization", scheme["name"]!.GetValue<string>());
        Assert.Equal("awsSigv4", scheme["x-amazon-apigateway-authtype"]!.GetValue<string>());
        Assert.Equal("[{\"sigv4\":[]}]", document["security"]!.ToJsonString());

        foreach (var operation in Model.Operations)
        {
            Assert.Null(document["paths"]![operation.PathTemplate]![operation.HttpMethod.ToLowerInvariant()]!["security"]);
        }

        foreach (var path in new[] { "/envoy/bootstrap", "/healthz", "/readyz", "/metrics" })
        {
            Assert.Equal("[]", document["paths"]![path]!["get"]!["security"]!.ToJsonString());
        }
    }

    [Fact]
    public async Task Every_Operation_Has_A_Summary_Naming_It_And_A_Description_Of_Its_Own()
    {
        var document = await DocumentAsync();
        var operations = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => m.Value!)).ToList();
        Assert.Equal(Model.Operations.Count + 4, operations.Count);
        foreach (var operation in operations)
        {
            var id = operation["operationId"]!.GetValue<string>();
            Assert.StartsWith(id + ": ", operation["summary"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.True(operation["description"]!.GetValue<string>().Length > 40, $"{id} has no real description");
        }

        Assert.Equal(operations.Count, operations.Select(o => o["description"]!.GetValue<string>()).Distinct().Count());
        var update = document["paths"]!["/v20190125/meshes/{meshName}"]!["put"]!;
        Assert.Equal("UpdateMesh: replace a mesh's spec", update["summary"]!.GetValue<string>());
        Assert.Equal("ListRoutes: list routes", document["paths"]!["/v20190125/meshes/{meshName}/virtualRouter/{virtualRouterName}/routes"]!["get"]!["summary"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_Host_Endpoints_Are_Described_As_They_Answer()
    {
        var document = await DocumentAsync();
        var bootstrap = document["paths"]!["/envoy/bootstrap"]!["get"]!;
        var node = bootstrap["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "node")!;
        Assert.True(node["required"]!.GetValue<bool>());
        Assert.Contains(bootstrap["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "xds");

        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        foreach (var path in new[] { "/healthz", "/readyz", "/metrics", "/envoy/bootstrap?node=mesh/m/virtualNode/n" })
        {
            using var response = await http.GetAsync(path);
            var item = document["paths"]![path.Split('?')[0]]!["get"]!;
            Assert.NotNull(item["responses"]![((int)response.StatusCode).ToString()]);
        }
    }

    [Fact]
    public async Task The_Root_Leads_To_The_Documentation_And_The_Console()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = api.BaseAddress };
        using var response = await http.GetAsync("/");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("href=\"/docs\"", page);
        Assert.Contains("href=\"/console\"", page);
    }

    private static JsonNode Resolve(JsonNode document, JsonNode schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference
            ? document["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!
            : schema;

    private async Task<JsonNode> DocumentAsync()
    {
        var text = await api.Client.GetStringAsync("/openapi/v1.json");
        return JsonNode.Parse(text)!;
    }
}
