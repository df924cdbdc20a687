using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>App Mesh's own rules on top of the model's constraints, each with the exact path it names.</summary>
public sealed class ValidationRuleTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Rejects_MoreThanTenWeightedTargets()
    {
        var mesh = await RouterMeshAsync();
        var targets = Enumerable.Range(0, 11).Select(i => ("v1", 1)).ToArray();
        var response = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRoute(targets) });
        response.AssertError(400, "BadRequestException");
        Assert.Contains("spec.httpRoute.action.weightedTargets: must have at most 10 item(s)", response.Message);
    }

    [Fact]
    public async Task Rejects_ZeroWeightedTargets()
    {
        var mesh = await RouterMeshAsync();
        var response = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRoute() });
        response.AssertError(400, "BadRequestException");
        Assert.Contains("spec.httpRoute.action.weightedTargets: must have at least 1 item(s)", response.Message);
    }

    [Theory]
    [InlineData(101, "must be at most 100")]
    [InlineData(-1, "must be at least 0")]
    public async Task Rejects_WeightOutOfRange(int weight, string expected)
    {
        var mesh = await RouterMeshAsync();
        var response = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRoute(("v1", weight)) });
        response.AssertError(400, "BadRequestException");
        Assert.Contains($"spec.httpRoute.action.weightedTargets[0].weight: {expected}", response.Message);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(60, 50, 110)]
    public async Task Rejects_WeightTotalOutsideOneToHundred(int first, int second, int total)
    {
        var mesh = await RouterMeshAsync();
        var response = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRoute(("v1", first), ("v2", second)) });
        response.AssertError(400, "BadRequestException");
        Assert.Contains($"weights must add up to between 1 and 100, but they add up to {total}", response.Message);
    }

    [Fact]
    public async Task Rejects_GrpcMethodNameWithoutServiceName()
    {
        var mesh = await RouterMeshAsync();
        var spec = new JsonObject
        {
            ["grpcRoute"] = new JsonObject
            {
                ["match"] = new JsonObject { ["methodName"] = "Get" },
                ["action"] = new JsonObject { ["weightedTargets"] = new JsonArray(new JsonObject { ["virtualNode"] = "v1", ["weight"] = 1 }) },
            },
        };
        var response = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"), new JsonObject { ["routeName"] = "r", ["spec"] = spec });
        response.AssertError(400, "BadRequestException");
        Assert.Contains("spec.grpcRoute.match.methodName: requires serviceName", response.Message);
    }

    [Fact]
    public async Task Rejects_ARegexEnvoysRe2CannotCompile_AndWritesNothing()
    {
        // Sent to Envoy, it would have every proxy of the router reject its whole route configuration.
        var mesh = await RouterMeshAsync();
        var spec = new JsonObject
        {
            ["httpRoute"] = new JsonObject
            {
                ["match"] = new JsonObject { ["path"] = new JsonObject { ["regex"] = "/api/(v[0-9]+" } },
                ["action"] = new JsonObject { ["weightedTargets"] = new JsonArray(new JsonObject { ["virtualNode"] = "v1", ["weight"] = 1 }) },
            },
        };
        var response = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"), new JsonObject { ["routeName"] = "r", ["spec"] = spec });
        response.AssertError(400, "BadRequestException");
        Assert.Contains("spec.httpRoute.match.path.regex: is not a valid regular expression (a '(' is not closed at offset 13)", response.Message);

        var described = await api.SendAsync(HttpMethod.Get, Paths.Route(mesh.Mesh, "router", "r"));
        described.AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task Rejects_AnAccessLogFormatEnvoyCannotParse_NamingWhere_AndWritesNothing()
    {
        // Sent to Envoy, a stray '%' would have the proxy reject its whole listener update.
        var mesh = await MeshBuilder.CreateAsync(api);
        var node = Specs.VirtualNode(8080);
        node["logging"] = new JsonObject
        {
            ["accessLog"] = new JsonObject
            {
                ["file"] = new JsonObject { ["path"] = "/dev/stdout", ["format"] = new JsonObject { ["text"] = "%START_TIME% 100% done\n" } },
            },
        };
        var gateway = Specs.GatewaySpec();
        gateway["logging"] = new JsonObject
        {
            ["accessLog"] = new JsonObject
            {
                ["file"] = new JsonObject
                {
                    ["path"] = "/dev/stdout",
                    ["format"] = new JsonObject
                    {
                        ["json"] = new JsonArray(
                            new JsonObject { ["key"] = "code", ["value"] = "%RESPONSE_CODE%" },
                            new JsonObject { ["key"] = "path", ["value"] = "%REQ(:PATH" }),
                    },
                },
            },
        };

        var nodeResponse = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), new JsonObject { ["virtualNodeName"] = "n", ["spec"] = node });
        var gatewayResponse = await api.SendAsync(HttpMethod.Put, Paths.VirtualGateways(mesh.Mesh), new JsonObject { ["virtualGatewayName"] = "g", ["spec"] = gateway });

        nodeResponse.AssertError(400, "BadRequestException");
        Assert.Contains("spec.logging.accessLog.file.format.text: has a '%' at index 16 that does not begin a command operator", nodeResponse.Message);
        gatewayResponse.AssertError(400, "BadRequestException");
        Assert.Contains("spec.logging.accessLog.file.format.json[1].value: has a '%' at index 0", gatewayResponse.Message);
        Assert.DoesNotContain("json[0]", gatewayResponse.Message);
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "n"))).AssertError(404, "NotFoundException");
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualGateway(mesh.Mesh, "g"))).AssertError(404, "NotFoundException");
    }

    /// <summary>
    /// Strings the model allows that reach Envoy as they are, where Envoy refuses them with the whole response that
    /// carries them (a NACK for every resource in it) or where no request could ever match or carry them.
    /// </summary>
    [Theory]
    [InlineData("virtualNode", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"healthCheck":{"protocol":"http","path":"/ping\u0007","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}}]}""",
        "spec.listeners[0].healthCheck.path: must not contain spaces or control characters: it is sent as a request's path")]
    [InlineData("virtualNode", """{"serviceDiscovery":{"dns":{"hostname":"éééééééééééééééééééééééééééééééb.éééééééééééééééééééééééééééééééb.éééééééééééééééééééééééééééééééb.éééééééééééééééééééééééééééééééb.b"}}}""",
        "spec.serviceDiscovery.dns.hostname: must be at most 255 bytes, got 257")]
    [InlineData("gatewayRoute", """{"http2Route":{"match":{"prefix":"/","queryParameters":[{"name":"ok"},{"name":"ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé"}]},"action":{"target":{"virtualService":{"virtualServiceName":"svc"}}}}}""",
        "spec.http2Route.match.queryParameters[1].name: must be at most 1024 bytes, got 1026")]
    [InlineData("route", """{"httpRoute":{"match":{"prefix":"/","headers":[{"name":"x color","invert":true}]},"action":{"weightedTargets":[{"virtualNode":"v1","weight":1}]}}}""",
        "spec.httpRoute.match.headers[0].name: must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, after one ':' for a pseudo-header such as :authority)")]
    [InlineData("route", """{"grpcRoute":{"match":{"serviceName":"s","metadata":[{"name":"tenant\u0007"}]},"action":{"weightedTargets":[{"virtualNode":"v1","weight":1}]}}}""",
        "spec.grpcRoute.match.metadata[0].name: must be an HTTP header name")]
    [InlineData("gatewayRoute", """{"http2Route":{"match":{"hostname":{"suffix":".example.com\t"}},"action":{"target":{"virtualService":{"virtualServiceName":"svc"}}}}}""",
        "spec.http2Route.match.hostname.suffix: must not contain spaces or control characters: it is compared with the request's host, which never holds them")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"prefix":"/a/"},"action":{"target":{"virtualService":{"virtualServiceName":"svc"}},"rewrite":{"prefix":{"value":"/b\u007f/"}}}}}""",
        "spec.httpRoute.action.rewrite.prefix.value: must not contain spaces or control characters: it becomes the request's path")]
    [InlineData("route", """{"httpRoute":{"match":{"prefix":"/v2/\r\nX: y"},"action":{"weightedTargets":[{"virtualNode":"v1","weight":1}]}}}""",
        "spec.httpRoute.match.prefix: must not contain spaces or control characters: it is compared with the request's path, which never holds them")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"path":{"exact":"/a\u000b"}},"action":{"target":{"virtualService":{"virtualServiceName":"svc"}}}}}""",
        "spec.httpRoute.match.path.exact: must not contain spaces or control characters")]
    public async Task Rejects_AStringEnvoyWouldRefuseOrNeverSee_NamingWhere_AndWritesNothing(string kind, string spec, string expected)
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("v1");
        await mesh.RouterAsync("router");
        await mesh.ServiceAsync("svc", Specs.ServiceByNode("v1"));
        await mesh.GatewayAsync("gw");
        var (collection, item, nameMember) = kind switch
        {
            "virtualNode" => (Paths.VirtualNodes(mesh.Mesh), Paths.VirtualNode(mesh.Mesh, "x"), "virtualNodeName"),
            "route" => (Paths.Routes(mesh.Mesh, "router"), Paths.Route(mesh.Mesh, "router", "x"), "routeName"),
            "gatewayRoute" => (Paths.GatewayRoutes(mesh.Mesh, "gw"), Paths.GatewayRoute(mesh.Mesh, "gw", "x"), "gatewayRouteName"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var response = await api.SendAsync(HttpMethod.Put, collection, new JsonObject { [nameMember] = "x", ["spec"] = JsonNode.Parse(spec) });

        response.AssertError(400, "BadRequestException");
        Assert.Contains(expected, response.Message);
        (await api.SendAsync(HttpMethod.Get, item)).AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task ASpecStoredBeforeTheseRules_IsStillDescribedAndListed()
    {
        // The rules hold what is written; rows already stored may break them (the translation leaves out what Envoy
        // would refuse), and must still be read back as they are.
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("old");
        await using (var connection = new NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "UPDATE resources SET spec = $1::jsonb WHERE mesh_name = $2 AND kind = 'virtualNode' AND name = 'old'", connection)
            {
                Parameters =
                {
                    new() { Value = """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"healthCheck":{"protocol":"http","path":"/ping me\u0007","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}}],"serviceDiscovery":{"dns":{"hostname":"web local"}}}""" },
                    new() { Value = mesh.Mesh },
                },
            };
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var described = await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "old"));
        var listed = await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh));

        Assert.Equal("/ping me\u0007", described.AssertOk().Body!["spec"]!["listeners"]![0]!["healthCheck"]!["path"]!.GetValue<string>());
        Assert.Equal("web local", described.Body!["spec"]!["serviceDiscovery"]!["dns"]!["hostname"]!.GetValue<string>());
        Assert.Contains(listed.AssertOk().Body!["virtualNodes"]!.AsArray(), n => n!["virtualNodeName"]!.GetValue<string>() == "old");
    }

    [Fact]
    public async Task Rejects_ConnectionPoolProtocolDifferentFromListener()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var spec = Specs.VirtualNode(8080);
        spec["listeners"]![0]!["connectionPool"] = new JsonObject { ["tcp"] = new JsonObject { ["maxConnections"] = 10 } };
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), new JsonObject { ["virtualNodeName"] = "n", ["spec"] = spec });
        response.AssertError(400, "BadRequestException");
        Assert.Contains("spec.listeners[0].connectionPool.tcp: is for protocol tcp, but the listener's protocol is http", response.Message);
    }

    [Fact]
    public async Task Rejects_ADurationLongerThanEnvoyTakes_AndWritesNothing()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var spec = JsonNode.Parse("""{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"timeout":{"http":{"perRequest":{"unit":"s","value":9223372036854775807}}}}]}""")!;
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), new JsonObject { ["virtualNodeName"] = "forever", ["spec"] = spec });
        response.AssertError(400, "BadRequestException");
        Assert.Contains("spec.listeners[0].timeout.http.perRequest.value: must be at most 315576000000 s", response.Message);

        var described = await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "forever"));
        described.AssertError(404, "NotFoundException");
    }

    [Fact]
    public async Task Rejects_DuplicateListenerPorts()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualRouters(mesh.Mesh),
            new JsonObject { ["virtualRouterName"] = "r", ["spec"] = Specs.RouterSpec(8080, 8080) });
        response.AssertError(400, "BadRequestException");
        Assert.Contains("spec.listeners[1].portMapping.port: port 8080 is already used by spec.listeners[0]", response.Message);
    }

    [Fact]
    public async Task Requires_MatchPort_WhenRouterHasSeveralListeners()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("v1");
        await mesh.RouterAsync("router", Specs.RouterSpec(8080, 9090));
        var missing = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRoute(("v1", 100)) });
        missing.AssertError(400, "BadRequestException");
        Assert.Contains("is required because virtual router 'router' has 2 listeners (8080, 9090)", missing.Message);

        var wrong = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"), new JsonObject
        {
            ["routeName"] = "r",
            ["spec"] = Specs.HttpRouteWithMatch(new JsonObject { ["prefix"] = "/", ["port"] = 7000 }, ("v1", 100)),
        });
        wrong.AssertError(400, "BadRequestException");
        Assert.Contains("spec.httpRoute.match.port: port 7000 is not a listener of virtual router 'router'", wrong.Message);

        await mesh.RouteAsync("router", "r", Specs.HttpRouteWithMatch(new JsonObject { ["prefix"] = "/", ["port"] = 9090 }, ("v1", 100)));
    }

    [Fact]
    public async Task ReportsEveryViolationInOneMessage()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var spec = new JsonObject
        {
            ["listeners"] = new JsonArray(new JsonObject
            {
                ["portMapping"] = new JsonObject { ["port"] = 70000, ["protocol"] = "smtp" },
            }),
            ["serviceDiscovery"] = new JsonObject(),
        };
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), new JsonObject { ["spec"] = spec });
        response.AssertError(400, "BadRequestException");
        Assert.StartsWith("4 validation errors detected:", response.Message);
        Assert.Contains("virtualNodeName: is required", response.Message);
        Assert.Contains("spec.listeners[0].portMapping.port: must be at most 65535, got 70000", response.Message);
        Assert.Contains("spec.listeners[0].portMapping.protocol: must be one of [", response.Message);
        Assert.Contains("spec.serviceDiscovery: must set exactly one of awsCloudMap, dns, but sets none", response.Message);
    }

    [Fact]
    public async Task Rejects_UnionWithTwoMembers()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var spec = new JsonObject
        {
            ["provider"] = new JsonObject
            {
                ["virtualNode"] = new JsonObject { ["virtualNodeName"] = "a" },
                ["virtualRouter"] = new JsonObject { ["virtualRouterName"] = "b" },
            },
        };
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualServices(mesh.Mesh), new JsonObject { ["virtualServiceName"] = "s", ["spec"] = spec });
        response.AssertError(400, "BadRequestException");
        Assert.Contains("spec.provider: must set exactly one of virtualNode, virtualRouter, but sets virtualNode and virtualRouter", response.Message);
    }

    [Theory]
    [InlineData("{\"meshName\": ", "The request body is not valid JSON")]
    [InlineData("[1,2]", "The request body must be a JSON object")]
    [InlineData("{\"meshName\": 5}", "meshName: must be a string, got a number")]
    [InlineData("{\"meshName\": \"m\", \"spec\": []}", "spec: must be a JSON object, got an array")]
    [InlineData("{\"meshName\": \"m\", \"spec\": {\"egressFilter\": {\"type\": \"OPEN\"}}}", "spec.egressFilter.type: must be one of [ALLOW_ALL, DROP_ALL], got \"OPEN\"")]
    [InlineData("{\"meshName\": \"a/b\"}", "meshName: must not contain '/'")]
    [InlineData("{\"meshName\": \"nul\\u0000\"}", "meshName: must not contain NUL characters")]
    public async Task Rejects_MalformedBodies(string body, string expected)
    {
        var response = await api.SendRawAsync(HttpMethod.Put, Paths.Meshes, body);
        response.AssertError(400, "BadRequestException");
        Assert.Contains(expected, response.Message);
    }

    [Fact]
    public async Task Rejects_DeeplyNestedJson()
    {
        var body = "{\"meshName\":\"deep\",\"spec\":" + new string('[', 5000) + new string(']', 5000) + "}";
        var response = await api.SendRawAsync(HttpMethod.Put, Paths.Meshes, body);
        response.AssertError(400, "BadRequestException");
        Assert.Contains("not valid JSON", response.Message);
    }

    [Fact]
    public async Task Rejects_OversizedBody()
    {
        var body = "{\"meshName\":\"" + new string('x', 2 * 1024 * 1024) + "\"}";
        using var request = new HttpRequestMessage(HttpMethod.Put, Paths.Meshes)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };

        // With Expect: 100-continue the server refuses before the client uploads; without it the
        // answer races the upload, and a client still sending can see its connection reset instead.
        request.Headers.ExpectContinue = true;
        var response = await ApiServer.SendAsync(api.Client, request);
        response.AssertError(400, "BadRequestException");
        Assert.Contains("larger than the", response.Message);
    }

    [Theory]
    [InlineData("limit=abc", "limit: must be an integer, got \"abc\"")]
    [InlineData("limit=0", "limit: must be at least 1, got 0")]
    [InlineData("limit=5%00", "limit: must be an integer")]
    [InlineData("limit=101", "limit: must be at most 100, got 101")]
    [InlineData("nextToken=forged", "nextToken: is not a token this API issued for this list")]
    public async Task Rejects_BadListParameters(string query, string expected)
    {
        var response = await api.SendAsync(HttpMethod.Get, Paths.Meshes + "?" + query);
        response.AssertError(400, "BadRequestException");
        Assert.Contains(expected, response.Message);
    }

    /// <summary>
    /// A token's base64url text is read only in the form it was issued in: a last character changed only in the bits
    /// base64 leaves unused decodes to the same bytes, and was taken as the token it was not.
    /// </summary>
    [Fact]
    public async Task Rejects_APageTokenChangedOnlyInItsUnusedBits()
    {
        var prefix = $"tok-{Guid.NewGuid():N}"[..16];
        foreach (var name in new[] { prefix + "-a", prefix + "-b" })
        {
            (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = name })).AssertOk();
        }

        var token = (await api.SendAsync(HttpMethod.Get, Paths.Meshes + "?limit=1")).Body!["nextToken"]!.GetValue<string>();
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        // The signature part is 16 bytes, 22 characters: the last one carries 2 bits and 4 unused ones.
        var changed = token[..^1] + alphabet[alphabet.IndexOf(token[^1]) ^ 1];
        (await api.SendAsync(HttpMethod.Get, Paths.Meshes + "?limit=1&nextToken=" + Uri.EscapeDataString(token))).AssertOk();

        var response = await api.SendAsync(HttpMethod.Get, Paths.Meshes + "?limit=1&nextToken=" + Uri.EscapeDataString(changed));

        response.AssertError(400, "BadRequestException");
        Assert.Contains("nextToken: is not a token this API issued for this list", response.Message);
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(40_000)]
    public async Task Rejects_AnOverlongNameInThePath_AsTheModelSays(int length)
    {
        // Longer than Kestrel's default request line (8 KiB): the API, not the web server, must answer it.
        var response = await api.SendAsync(HttpMethod.Get, Paths.Mesh(new string('m', length)));
        response.AssertError(400, "BadRequestException");
        Assert.Contains("meshName", response.Message);
    }

    [Fact]
    public async Task UnknownPath_IsAnAwsStyleError()
    {
        var response = await api.SendAsync(HttpMethod.Post, "/v20190125/meshes");
        Assert.Equal(405, response.Status);
        Assert.Equal("UnknownOperationException", response.ErrorType);
        Assert.Contains("No App Mesh operation is bound to POST /v20190125/meshes", response.Message);
    }

    [Fact]
    public async Task UnboundPath_IsAnAwsStyleNotFound()
    {
        var response = await api.SendAsync(HttpMethod.Get, "/v20190125/no-such-collection/x");
        Assert.Equal(404, response.Status);
        Assert.Equal("UnknownOperationException", response.ErrorType);
        Assert.Contains("No App Mesh operation is bound to GET /v20190125/no-such-collection/x", response.Message);
        Assert.NotNull(response.RequestId);
    }

    private async Task<MeshBuilder> RouterMeshAsync()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("v1");
        await mesh.NodeAsync("v2");
        await mesh.RouterAsync("router");
        return mesh;
    }
}
