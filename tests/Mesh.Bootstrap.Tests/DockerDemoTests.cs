using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mesh.Bootstrap.Tests.Support;

namespace Mesh.Bootstrap.Tests;

/// <summary>
/// There is no Docker engine here, so CI runs only <c>docker-compose config</c>. These checks read docker-compose.yml,
/// the committed bootstraps and demo/canary.sh together, so the pieces that must agree (ports, names, paths) do.
/// </summary>
public sealed class DockerDemoTests
{
    private static readonly JsonObject Compose = (JsonObject)YamlJson.ToJson(File.ReadAllText(Repository.PathOf("docker-compose.yml")))!;
    private static readonly string Canary = File.ReadAllText(Repository.PathOf("demo/canary.sh"));

    private static JsonObject Service(string name) => (JsonObject)Compose["services"]![name]!;

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonArray array => array.Select(n => n!.GetValue<string>()),
        JsonValue value => [value.ToString()],
        _ => [],
    };

    private static Envoy.Config.Bootstrap.V3.Bootstrap BootstrapOf(string service)
    {
        var mount = Strings(Service(service)["volumes"]).Single(v => v.EndsWith(":/etc/envoy/bootstrap.yaml:ro", StringComparison.Ordinal));
        return YamlJson.ParseBootstrap(File.ReadAllText(Repository.PathOf(mount[2..mount.IndexOf(':', StringComparison.Ordinal)])));
    }

    [Fact]
    public void Images_ArePinned()
    {
        foreach (var (name, service) in (JsonObject)Compose["services"]!)
        {
            if (service!["image"] is { } image)
            {
                var text = image.GetValue<string>();
                Assert.Matches(@"^[\w./-]+:v?\d+(\.\d+)+$", text);
            }
            else
            {
                Assert.True(service["build"]?["dockerfile"]?.GetValue<string>() == "deploy/Dockerfile", $"{name} has neither a pinned image nor our Dockerfile");
            }
        }
    }

    [Theory]
    [InlineData("web-v1-envoy", "mesh/demo/virtualNode/web-v1", "web-v1")]
    [InlineData("web-v2-envoy", "mesh/demo/virtualNode/web-v2", "web-v2")]
    [InlineData("gateway", "mesh/demo/virtualGateway/gateway", null)]
    public void Envoys_AreTheDemoResources_AndReachTheXdsService(string service, string node, string? app)
    {
        var bootstrap = BootstrapOf(service);
        Assert.Equal(node, bootstrap.Node.Id);
        Assert.Equal(["envoy", "-c", "/etc/envoy/bootstrap.yaml"], Strings(Service(service)["command"]));

        var xds = bootstrap.StaticResources.Clusters.Single(c => c.Name == EnvoyBootstrap.XdsClusterName)
            .LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress;
        var grpcUrl = new Uri(Service("xds")["environment"]!["Xds__GrpcUrl"]!.GetValue<string>());
        Assert.Equal(("xds", (uint)grpcUrl.Port), (xds.Address, xds.PortValue));
        Assert.Equal("0.0.0.0", grpcUrl.Host); // reachable from the other containers

        // Bootstraps without SigV4 or a client certificate only work when the xDS server asks for neither.
        var ads = bootstrap.DynamicResources.AdsConfig.GrpcServices.Single();
        Assert.Null(ads.GoogleGrpc);
        Assert.Equal("None", Service("xds")["environment"]!["Xds__Auth__Mode"]!.GetValue<string>());

        if (app is not null)
        {
            Assert.Equal($"service:{app}", Service(service)["network_mode"]!.GetValue<string>());
            Assert.Equal($"service:{app}", Service($"{app}-redirect")["network_mode"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Ports_Agree()
    {
        // The application port: what httpd listens on, what the redirect sends to 15000, what the nodes declare.
        var appPort = Regex.Match(Canary, @"""port"":(\d+),""protocol"":""http""\}\}\],""serviceDiscovery""").Groups[1].Value;
        Assert.NotEmpty(appPort);
        foreach (var app in new[] { "web-v1", "web-v2" })
        {
            Assert.Contains($"httpd -f -v -p {appPort} ", string.Join(' ', Strings(Service(app)["command"])), StringComparison.Ordinal);
            Assert.Equal([appPort], Strings(Service($"{app}-redirect")["command"]));
        }

        // The gateway's listener: what the script declares, what compose publishes, what the demo service calls.
        var gatewayPort = Regex.Match(Canary, @"create-virtual-gateway .*\n.*\{""port"":(\d+),").Groups[1].Value;
        Assert.NotEmpty(gatewayPort);
        Assert.Contains($"127.0.0.1:{gatewayPort}:{gatewayPort}", Strings(Service("gateway")["ports"]));
        Assert.Equal($"http://gateway:{gatewayPort}", Service("demo")["environment"]!["MESH_GATEWAY_URL"]!.GetValue<string>());
        Assert.Contains($"MESH_GATEWAY_URL:-http://127.0.0.1:{gatewayPort}", Canary, StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_AreMadeWhereTheApiAndTheDemoReadThem()
    {
        var script = File.ReadAllText(Repository.PathOf("deploy/demo/secrets.sh"));
        Assert.Contains("dir=/mesh/secrets", script, StringComparison.Ordinal);
        Assert.Contains("secrets:/mesh/secrets", Strings(Service("secrets")["volumes"]));
        Assert.Contains("secrets:/mesh/secrets:ro", Strings(Service("api")["volumes"]));
        Assert.Contains("cat /mesh/secrets/master.key", string.Join(' ', Strings(Service("api")["entrypoint"])), StringComparison.Ordinal);
        Assert.Contains("secrets:/mesh/secrets:ro", Strings(Service("demo")["volumes"]));
        Assert.Equal("/mesh/secrets/credentials", Service("demo")["environment"]!["AWS_SHARED_CREDENTIALS_FILE"]!.GetValue<string>());
        Assert.Equal("service_completed_successfully", Service("api")["depends_on"]!["secrets"]!["condition"]!.GetValue<string>());
    }

    private static readonly string[] Dockerfile = File.ReadAllLines(Repository.PathOf("deploy/Dockerfile"));

    [Fact]
    public void Dockerfile_Images_Are_Exact_Versions()
    {
        var stages = new HashSet<string>(StringComparer.Ordinal);
        foreach (var from in Dockerfile.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)))
        {
            // A .NET stage may run on the builder's platform (--platform=$BUILDPLATFORM); the image is pinned all the same.
            var match = Regex.Match(from, @"^FROM (?:--platform=\$BUILDPLATFORM )?(\S+)(?: AS (\S+))?$");
            Assert.True(match.Success, from);
            var image = match.Groups[1].Value;
            if (!stages.Contains(image))
            {
                // name:1.2.3 (a full version, not a floating 10.0) or a digest.
                Assert.Matches(@"^[\w./-]+(:v?\d+\.\d+\.\d+|@sha256:[0-9a-f]{64})$", image);
            }

            stages.Add(match.Groups[2].Value);
        }
    }

    [Fact]
    public void Every_Service_Built_Here_Names_A_Stage_Of_The_Dockerfile()
    {
        var stages = Dockerfile.Select(l => Regex.Match(l, @"^FROM \S+(?: \S+)? AS (\S+)$")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var built = ((JsonObject)Compose["services"]!).Where(s => s.Value!["build"] is not null).ToList();

        Assert.NotEmpty(built);
        Assert.All(built, s => Assert.Contains(s.Value!["build"]!["target"]!.GetValue<string>(), stages));
        Assert.Equal("xds", Service("xds")["build"]!["target"]!.GetValue<string>());
        Assert.Equal("api", Service("api")["build"]!["target"]!.GetValue<string>());
        Assert.Equal("migrate", Service("migrate")["build"]!["target"]!.GetValue<string>());
    }

    [Fact]
    public void Dockerfile_Restores_Before_Copying_Sources_And_Leaves_Tests_Out()
    {
        var copies = Dockerfile.Select((line, index) => (line, index)).Where(l => l.line.StartsWith("COPY ", StringComparison.Ordinal) && !l.line.Contains("--from=", StringComparison.Ordinal)).ToList();
        var restore = Array.FindIndex(Dockerfile, l => l.Contains("dotnet restore", StringComparison.Ordinal));
        var protos = Array.FindIndex(Dockerfile, l => l.Contains("-t:MeshRestoreEnvoyProtos", StringComparison.Ordinal));
        var sources = copies.First(c => c.line.StartsWith("COPY src/ ", StringComparison.Ordinal)).index;

        Assert.InRange(restore, 0, sources);
        Assert.InRange(protos, restore, sources);
        Assert.All(copies.Where(c => c.index < restore), c => Assert.Matches(@"^COPY ((\S+\.(csproj|props|json)) )+\S+/$", c.line));
        Assert.DoesNotContain(copies, c => c.line.StartsWith("COPY . ", StringComparison.Ordinal) || c.line.Contains("tests", StringComparison.Ordinal) || c.line.Contains("benchmarks", StringComparison.Ordinal));

        // Every project the hosts build from has its project file copied for the restore.
        foreach (var project in Directory.GetFiles(Repository.PathOf("src"), "*.csproj", SearchOption.AllDirectories).Append(Repository.PathOf("migrations/Mesh.Migrations.csproj")))
        {
            var relative = Path.GetRelativePath(Repository.PathOf("."), project).Replace('\\', '/');
            Assert.Contains(copies, c => c.index < restore && c.line.StartsWith($"COPY {relative} ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_Hosts_Have_Readiness_Healthchecks_That_The_Proxies_And_The_Demo_Wait_For()
    {
        Assert.Equal(["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/readyz"], Strings(Service("api")["healthcheck"]!["test"]));
        var admin = new Uri(Service("xds")["environment"]!["Xds__AdminUrl"]!.GetValue<string>());
        Assert.Equal(["CMD", "curl", "-fsS", "-o", "/dev/null", $"http://127.0.0.1:{admin.Port}/readyz"], Strings(Service("xds")["healthcheck"]!["test"]));
        Assert.Contains("apt-get install -y --no-install-recommends curl", string.Join('\n', Dockerfile), StringComparison.Ordinal);

        foreach (var proxy in new[] { "web-v1-envoy", "web-v2-envoy", "gateway" })
        {
            Assert.Equal("service_healthy", Service(proxy)["depends_on"]!["xds"]!["condition"]!.GetValue<string>());
        }

        Assert.Equal("service_healthy", Service("demo")["depends_on"]!["api"]!["condition"]!.GetValue<string>());
    }

    [Fact]
    public void Only_What_The_Demo_Needs_Is_Published_And_Only_On_Loopback()
    {
        var published = ((JsonObject)Compose["services"]!)
            .SelectMany(s => Strings(s.Value!["ports"]).Select(p => $"{s.Key} {p}"))
            .Order(StringComparer.Ordinal);

        Assert.Equal(["api 127.0.0.1:8080:8080", "gateway 127.0.0.1:8088:8088", "gateway 127.0.0.1:9901:9901"], published);
    }

    [Fact]
    public void Nothing_Is_Installed_At_Start()
    {
        var redirect = File.ReadAllText(Repository.PathOf("deploy/demo/redirect.sh"));
        Assert.DoesNotMatch(@"(?m)^[^#]*\b(apk|apt-get|pip|npm) (add|install)", redirect);
        foreach (var app in new[] { "web-v1", "web-v2" })
        {
            Assert.Equal("redirect", Service($"{app}-redirect")["build"]!["target"]!.GetValue<string>());
        }

        var stage = string.Join('\n', Dockerfile.SkipWhile(l => !l.StartsWith("FROM alpine:", StringComparison.Ordinal)));
        Assert.Contains("RUN apk add --no-cache iptables", stage, StringComparison.Ordinal);
        Assert.Contains("COPY deploy/demo/redirect.sh /redirect.sh", stage, StringComparison.Ordinal);
    }
}
