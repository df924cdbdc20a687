using Envoy.Config.Endpoint.V3;
using Mesh.Model.Graph;
using Mesh.Model.Specs;

namespace Mesh.Translation.Tests.Translation;

/// <summary>The endpoints of a virtual node discovered through Cloud Map, as a caller's sidecar receives them.</summary>
public sealed class CloudMapAssignmentsTests
{
    private const string Cluster = "cds_egress_m_api_http_8080";

    [Fact]
    public void HealthyMatchingInstances_AreTheEndpoints_ByLocality()
    {
        var assignment = Translate(null, null,
            Instance("i-1", true, ("AWS_INSTANCE_IPV4", "10.0.0.1"), ("AVAILABILITY_ZONE", "us-east-1a"), ("REGION", "us-east-1")),
            Instance("i-2", false, ("AWS_INSTANCE_IPV4", "10.0.0.2"), ("AVAILABILITY_ZONE", "us-east-1a"), ("REGION", "us-east-1")),
            Instance("i-3", true, ("AWS_INSTANCE_IPV4", "10.0.0.3"), ("AWS_INSTANCE_PORT", "9090"), ("AVAILABILITY_ZONE", "us-east-1b"), ("REGION", "us-east-1")),
            Instance("i-4", true, ("AWS_INSTANCE_IPV4", "10.0.0.4")));

        Assert.Equal(
            ["/:10.0.0.4:8080", "us-east-1/us-east-1a:10.0.0.1:8080", "us-east-1/us-east-1b:10.0.0.3:9090"],
            Endpoints(assignment.Assignment));
        Assert.All(assignment.Assignment.Endpoints, group => Assert.Equal(1u, group.LoadBalancingWeight));
        Assert.Empty(assignment.Warnings);
    }

    [Fact]
    public void ALocalitysWeight_IsItsHostCount_SoGrpcSpreadsCallsPerHost()
    {
        // gRPC splits calls between localities by weight first: with weight 1 each, the lone host in us-east-1a would
        // take half of them while three share the other half.
        var result = Translate(null, null,
            Instance("i-1", true, ("AWS_INSTANCE_IPV4", "10.0.0.1"), ("AVAILABILITY_ZONE", "us-east-1a"), ("REGION", "us-east-1")),
            Instance("i-2", true, ("AWS_INSTANCE_IPV4", "10.0.0.2"), ("AVAILABILITY_ZONE", "us-east-1b"), ("REGION", "us-east-1")),
            Instance("i-3", true, ("AWS_INSTANCE_IPV4", "10.0.0.3"), ("AVAILABILITY_ZONE", "us-east-1b"), ("REGION", "us-east-1")),
            Instance("i-4", true, ("AWS_INSTANCE_IPV4", "10.0.0.4"), ("AVAILABILITY_ZONE", "us-east-1b"), ("REGION", "us-east-1")));

        Assert.Equal([1u, 3u], result.Assignment.Endpoints.Select(g => g.LoadBalancingWeight));
    }

    [Fact]
    public void InstancesAtOneAddressAndPort_AreOneEndpoint_AndSaidSo()
    {
        // grpc-go and grpc-js refuse an assignment that repeats an address.
        var result = Translate(null, null,
            Instance("i-2", true, ("AWS_INSTANCE_IPV4", "10.0.0.1"), ("AVAILABILITY_ZONE", "us-east-1b"), ("REGION", "us-east-1")),
            Instance("i-1", true, ("AWS_INSTANCE_IPV4", "10.0.0.1"), ("AVAILABILITY_ZONE", "us-east-1a"), ("REGION", "us-east-1")),
            Instance("i-3", true, ("AWS_INSTANCE_IPV4", "10.0.0.3")));

        Assert.Equal(["/:10.0.0.3:8080", "us-east-1/us-east-1a:10.0.0.1:8080"], Endpoints(result.Assignment));
        Assert.Contains(result.Warnings, w => w.EndsWith("1 instance(s) have the address and port of another instance and were left out", StringComparison.Ordinal));
    }

    [Fact]
    public void Attributes_SelectASubset()
    {
        var result = Translate([("version", "v2")], null,
            Instance("i-1", true, ("AWS_INSTANCE_IPV4", "10.0.0.1"), ("version", "v1")),
            Instance("i-2", true, ("AWS_INSTANCE_IPV4", "10.0.0.2"), ("version", "v2")));

        Assert.Equal(["/:10.0.0.2:8080"], Endpoints(result.Assignment));
    }

    [Theory]
    [InlineData(null, "/:10.0.0.1:8080")]
    [InlineData("IPv4_PREFERRED", "/:10.0.0.1:8080")]
    [InlineData("IPv6_PREFERRED", "/:2001:db8::1:8080")]
    [InlineData("IPv6_ONLY", "/:2001:db8::1:8080")]
    public void IpPreference_PicksTheAddress(string? preference, string expected)
    {
        var result = Translate(null, preference,
            Instance("i-1", true, ("AWS_INSTANCE_IPV4", "10.0.0.1"), ("AWS_INSTANCE_IPV6", "2001:0db8::1")));

        Assert.Equal([expected], Endpoints(result.Assignment));
    }

    [Fact]
    public void Ipv6Only_LeavesOutInstancesWithoutOne_AndSaysSo()
    {
        var result = Translate(null, "IPv6_ONLY", Instance("i-1", true, ("AWS_INSTANCE_IPV4", "10.0.0.1")));

        // The instance is registered and healthy; what it lacks is an address the node may use, and that is what is said.
        Assert.Empty(result.Assignment.Endpoints);
        Assert.Equal(
            ["virtualNode/client backend virtualService/api.m.local: virtualNode/api (Cloud Map service 'api' in namespace 'ns.local'): none of the 1 healthy instance(s) has a usable AWS_INSTANCE_IPV6 address (ipPreference IPv6_ONLY), so the node has no endpoints and calls to it fail (503 / UNAVAILABLE); register them with one or change the ipPreference"],
            result.Warnings);
    }

    [Fact]
    public void InstancesWithoutAnyAddress_AreSaidToLackOne_NotToBeMissing()
    {
        var result = Translate(null, null, Instance("i-1", true, ("AWS_INSTANCE_PORT", "8080")));

        Assert.Empty(result.Assignment.Endpoints);
        Assert.Equal(
            ["virtualNode/client backend virtualService/api.m.local: virtualNode/api (Cloud Map service 'api' in namespace 'ns.local'): none of the 1 healthy instance(s) has a usable AWS_INSTANCE_IPV4 or AWS_INSTANCE_IPV6 address, so the node has no endpoints and calls to it fail (503 / UNAVAILABLE); register them with one"],
            result.Warnings);
    }

    [Fact]
    public void SomeInstancesWithoutAnAddress_AreLeftOut_AndSaidSo()
    {
        var result = Translate(null, "IPv4_ONLY",
            Instance("i-1", true, ("AWS_INSTANCE_IPV4", "10.0.0.1")),
            Instance("i-2", true, ("AWS_INSTANCE_IPV6", "2001:db8::2")));

        Assert.Equal(["/:10.0.0.1:8080"], Endpoints(result.Assignment));
        Assert.Equal(
            ["virtualNode/client backend virtualService/api.m.local: virtualNode/api (Cloud Map service 'api' in namespace 'ns.local'): 1 healthy instance(s) have no usable AWS_INSTANCE_IPV4 address (ipPreference IPv4_ONLY) and were left out"],
            result.Warnings);
    }

    [Fact]
    public void ANodeWithSeveralListeners_IgnoresTheInstancesPort_AndSaysSo()
    {
        // One AWS_INSTANCE_PORT cannot say which of several listeners it is: each is reached on its own port.
        var resources = TranslateCallerOfTwoListenerNode(instancePort: "7000");

        Assert.Equal(["/:10.0.0.1:8080"], Endpoints(resources.ClusterLoadAssignments.Single(c => c.ClusterName == Cluster)));
        Assert.Contains(
            new TranslationWarning(
                WarningKind.SettingIgnored,
                "virtualNode/client backend virtualService/api.m.local: virtualNode/api (Cloud Map service 'api' in namespace 'ns.local'): AWS_INSTANCE_PORT 7000 of the instances is ignored: virtualNode/api has 2 listeners, so its listener 8080 is reached on port 8080; register the instances with that port or give the node one listener"),
            resources.Warnings);
    }

    [Fact]
    public void ANodeWithSeveralListeners_SaysNothingOfAnInstancePortThatIsOneOfItsListeners()
    {
        // An ECS task registers one of its ports: right for that listener, and not a surprise for the other.
        var resources = TranslateCallerOfTwoListenerNode(instancePort: "9090");

        Assert.Equal(["/:10.0.0.1:8080"], Endpoints(resources.ClusterLoadAssignments.Single(c => c.ClusterName == Cluster)));
        Assert.DoesNotContain(resources.Warnings.Messages(), w => w.Contains("AWS_INSTANCE_PORT", StringComparison.Ordinal));
    }

    /// <summary>Translates virtualNode/client, calling node api (listeners 8080 and 9090, Cloud Map) whose one instance registered <paramref name="instancePort"/>.</summary>
    private static ProxyResources TranslateCallerOfTwoListenerNode(string instancePort)
    {
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"api.m.local"}}]}"""),
            new("virtualNode", null, "api", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":9090,"protocol":"http"}}],"serviceDiscovery":{"awsCloudMap":{"namespaceName":"ns.local","serviceName":"api"}}}"""),
            new("virtualService", null, "api.m.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"api"}}}"""),
        }) with
        {
            CloudMap = new CloudMapRegistry(new[] { new CloudMapService("ns.local", "api", new[] { Instance("i-1", true, ("AWS_INSTANCE_IPV4", "10.0.0.1"), ("AWS_INSTANCE_PORT", instancePort)) }.ToEquatableList()) }.ToEquatableList()),
        };

        return new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));
    }

    [Fact]
    public void NoMatchingInstance_IsAnEmptyAssignment_AndAWarning()
    {
        var result = Translate([("version", "v9")], null, Instance("i-1", true, ("AWS_INSTANCE_IPV4", "10.0.0.1"), ("version", "v1")));

        Assert.Equal(Cluster, result.Assignment.ClusterName);
        Assert.Empty(result.Assignment.Endpoints);
        Assert.Equal(
            ["virtualNode/client backend virtualService/api.m.local: virtualNode/api (Cloud Map service 'api' in namespace 'ns.local'): no healthy instance with version=v9 is registered (1 registered), so the node has no endpoints"],
            result.Warnings);
    }

    [Fact]
    public void UnknownService_IsAnEmptyAssignment_AndAWarning()
    {
        var graph = Graph(null, null) with { CloudMap = CloudMapRegistry.Empty };
        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        Assert.Empty(resources.ClusterLoadAssignments.Single(c => c.ClusterName == Cluster).Endpoints);
        Assert.Contains(resources.Warnings, w => w.Kind == WarningKind.UnknownRegistryService && w.Message.EndsWith("the service does not exist in the registry, so the node has no endpoints", StringComparison.Ordinal));
    }

    private static (ClusterLoadAssignment Assignment, IReadOnlyList<string> Warnings) Translate(
        (string Key, string Value)[]? attributes, string? preference, params CloudMapInstance[] instances)
    {
        var graph = Graph(attributes, preference) with
        {
            CloudMap = new CloudMapRegistry(new[] { new CloudMapService("ns.local", "api", instances.ToEquatableList()) }.ToEquatableList()),
        };
        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));
        return (resources.ClusterLoadAssignments.Single(c => c.ClusterName == Cluster), resources.Warnings.Messages());
    }

    private static MeshGraph Graph((string Key, string Value)[]? attributes, string? preference)
    {
        var filter = attributes is null ? "" : ",\"attributes\":[" + string.Join(",", attributes.Select(a => $$"""{"key":"{{a.Key}}","value":"{{a.Value}}"}""")) + "]";
        var ip = preference is null ? "" : $",\"ipPreference\":\"{preference}\"";
        return MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"api.m.local"}}]}"""),
            new("virtualNode", null, "api", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"awsCloudMap":{"namespaceName":"ns.local","serviceName":"api" """.TrimEnd() + filter + ip + "}}}"),
            new("virtualService", null, "api.m.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"api"}}}"""),
        });
    }

    private static CloudMapInstance Instance(string id, bool healthy, params (string Key, string Value)[] attributes) =>
        new(id, attributes.Select(a => KeyValuePair.Create(a.Key, a.Value)).OrderBy(a => a.Key, StringComparer.Ordinal).ToEquatableList(), healthy);

    private static IEnumerable<string> Endpoints(ClusterLoadAssignment assignment) =>
        assignment.Endpoints.SelectMany(group => group.LbEndpoints.Select(lb =>
            $"{group.Locality.Region}/{group.Locality.Zone}:{lb.Endpoint.Address.SocketAddress.Address}:{lb.Endpoint.Address.SocketAddress.PortValue}"));
}
