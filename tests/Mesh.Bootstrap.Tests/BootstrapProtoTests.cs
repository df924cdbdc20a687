using System.Text.Json.Nodes;
using Envoy.Config.Bootstrap.V3;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.GrpcCredential.V3;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Mesh.Bootstrap.Tests.Support;
using Mesh.EnvoyTesting;
using UpstreamHttpOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Mesh.Bootstrap.Tests;

#pragma warning disable CS0612 // Bootstrap.tracing is deprecated in Envoy's proto; the bootstrap sets it on purpose (README).

/// <summary>
/// The YAML, read by an independent parser, is a valid <c>envoy.config.bootstrap.v3.Bootstrap</c> in the proto3 JSON
/// mapping (strict: no unknown fields or types), meets the protoc-gen-validate rules Envoy enforces, means the same
/// as the JSON rendering, and matches its golden file (<c>MESH_UPDATE_GOLDEN=1</c> rewrites them).
/// </summary>
public sealed class BootstrapProtoTests
{
    private const string Http2Options = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    private static Envoy.Config.Bootstrap.V3.Bootstrap Parse(BootstrapOptions options) => YamlJson.ParseBootstrap(EnvoyBootstrap.ToYaml(options));

    [Theory]
    [MemberData(nameof(BootstrapCases.Names), MemberType = typeof(BootstrapCases))]
    public void Yaml_IsAStrictBootstrapProto(string name)
    {
        var options = BootstrapCases.All[name];
        var bootstrap = Parse(options);

        Assert.Equal(options.NodeId, bootstrap.Node.Id);
        Assert.Equal(options.Cluster ?? options.NodeId, bootstrap.Node.Cluster);
        Assert.Equal((uint)options.AdminPort, bootstrap.Admin.Address.SocketAddress.PortValue);
        Assert.Equal(options.AdminAddress, bootstrap.Admin.Address.SocketAddress.Address);
        var ads = bootstrap.DynamicResources.AdsConfig;
        Assert.Equal(options.Delta ? ApiConfigSource.Types.ApiType.DeltaGrpc : ApiConfigSource.Types.ApiType.Grpc, ads.ApiType);
        Assert.Equal(ApiVersion.V3, ads.TransportApiVersion);
        Assert.True(ads.SetNodeOnFirstMessageOnly, "the xDS server reads the node from a stream's first request only");
        Assert.Single(ads.GrpcServices);
        foreach (var source in new[] { bootstrap.DynamicResources.LdsConfig, bootstrap.DynamicResources.CdsConfig })
        {
            Assert.Equal(ConfigSource.ConfigSourceSpecifierOneofCase.Ads, source.ConfigSourceSpecifierCase);
            Assert.Equal(ApiVersion.V3, source.ResourceApiVersion);
            Assert.Equal(options.InitialFetchTimeout, source.InitialFetchTimeout.ToTimeSpan());
        }
    }

    [Theory]
    [MemberData(nameof(BootstrapCases.Names), MemberType = typeof(BootstrapCases))]
    public void Yaml_MeetsTheValidationRules(string name)
    {
        var options = BootstrapCases.All[name];
        var errors = PgvValidator.Validate(Parse(options), EnvoyTypes.Registry).ToList();

        // The bootstrap tracer is deprecated in favour of the HTTP connection manager's tracing.provider, but Envoy
        // still honours it (README, Envoy bootstrap); it is the one deprecated field we set, and only with a tracer.
        if (options.Tracing is not null)
        {
            Assert.Contains("envoy.config.bootstrap.v3.Bootstrap.tracing: deprecated field is set", errors);
            errors.Remove("envoy.config.bootstrap.v3.Bootstrap.tracing: deprecated field is set");
        }

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [MemberData(nameof(BootstrapCases.Names), MemberType = typeof(BootstrapCases))]
    public void Yaml_MeansTheSameAsJson(string name)
    {
        var options = BootstrapCases.All[name];
        var fromYaml = YamlJson.ToJson(EnvoyBootstrap.ToYaml(options));
        var fromJson = JsonNode.Parse(EnvoyBootstrap.ToJson(options));
        Assert.True(JsonNode.DeepEquals(fromJson, fromYaml), $"{fromYaml}\n---\n{fromJson}");
    }

    [Theory]
    [MemberData(nameof(BootstrapCases.Names), MemberType = typeof(BootstrapCases))]
    public void Yaml_MatchesGolden(string name) =>
        Repository.AssertGolden($"tests/Mesh.Bootstrap.Tests/Golden/{name}.yaml", EnvoyBootstrap.ToYaml(BootstrapCases.All[name]));

    [Fact]
    public void RegisterInstance_IsNodeMetadata_TheXdsServerReads()
    {
        var metadata = Parse(BootstrapCases.All["register-instance"]).Node.Metadata;
        var registration = metadata.Fields["mesh.registration"].StructValue.Fields;
        Assert.Equal("10.0.3.7", registration["address"].StringValue);
        Assert.Equal(8080, registration["port"].NumberValue);
        Assert.Equal("web-v1-a", registration["instanceId"].StringValue);
        Assert.False(Parse(BootstrapCases.VirtualNode).Node.Metadata.Fields.ContainsKey("mesh.registration"));
    }

    [Fact]
    public void XdsCluster_IsHttp2WithAppMeshKeepalive()
    {
        var bootstrap = Parse(BootstrapCases.VirtualNode);
        Assert.Equal("xds_cluster", bootstrap.DynamicResources.AdsConfig.GrpcServices[0].EnvoyGrpc.ClusterName);
        var cluster = Assert.Single(bootstrap.StaticResources.Clusters);
        Assert.Equal("xds_cluster", cluster.Name);
        Assert.Equal(Cluster.Types.DiscoveryType.StrictDns, cluster.Type); // "xds" is a name to resolve
        var address = cluster.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress;
        Assert.Equal(("xds", 18000u), (address.Address, address.PortValue));
        var http = cluster.TypedExtensionProtocolOptions[Http2Options].Unpack<UpstreamHttpOptions>();
        var keepalive = http.ExplicitHttpConfig.Http2ProtocolOptions.ConnectionKeepalive;
        Assert.Equal(TimeSpan.FromSeconds(10), keepalive.Interval.ToTimeSpan());
        Assert.Equal(TimeSpan.FromSeconds(20), keepalive.Timeout.ToTimeSpan());
        Assert.Null(cluster.TransportSocket);
    }

    [Fact]
    public void XdsCluster_AtAnIpIsStatic()
    {
        var cluster = Parse(BootstrapCases.All["virtual-gateway-arn"]).StaticResources.Clusters.Single();
        Assert.Equal(Cluster.Types.DiscoveryType.Static, cluster.Type);
        Assert.Equal("10.0.0.5", cluster.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address);
    }

    [Fact]
    public void Tls_VerifiesTheServerNameAndPresentsTheClientCertificate()
    {
        var cluster = Parse(BootstrapCases.All["tls"]).StaticResources.Clusters.Single();
        Assert.Equal("envoy.transport_sockets.tls", cluster.TransportSocket.Name);
        var tls = cluster.TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>();
        Assert.Equal("xds.mesh.internal", tls.Sni);
        Assert.Equal(["h2"], tls.CommonTlsContext.AlpnProtocols);
        var validation = tls.CommonTlsContext.ValidationContext;
        Assert.Equal("/etc/mesh/ca.pem", validation.TrustedCa.Filename);
        var san = Assert.Single(validation.MatchTypedSubjectAltNames);
        Assert.Equal((SubjectAltNameMatcher.Types.SanType.Dns, "xds.mesh.internal"), (san.SanType, san.Matcher.Exact));
        var certificate = Assert.Single(tls.CommonTlsContext.TlsCertificates);
        Assert.Equal(("/etc/mesh/proxy.pem", "/etc/mesh/proxy-key.pem"), (certificate.CertificateChain.Filename, certificate.PrivateKey.Filename));
    }

    [Fact]
    public void SigV4_SignsWithAwsIamOverGoogleGrpcAndTls()
    {
        var bootstrap = Parse(BootstrapCases.All["sigv4"]);
        var google = bootstrap.DynamicResources.AdsConfig.GrpcServices.Single().GoogleGrpc;
        Assert.Equal("xds.mesh.internal:443", google.TargetUri);
        Assert.Equal("ads", google.StatPrefix);
        Assert.Equal("/etc/mesh/ca.pem", google.ChannelCredentials.SslCredentials.RootCerts.Filename);
        Assert.Equal("envoy.grpc_credentials.aws_iam", google.CredentialsFactoryName);
        var plugin = google.CallCredentials.Single().FromPlugin;
        Assert.Equal("envoy.grpc_credentials.aws_iam", plugin.Name);
        var iam = plugin.TypedConfig.Unpack<AwsIamConfig>();
        Assert.Equal(("appmesh", "eu-west-1"), (iam.ServiceName, iam.Region));
        Assert.Equal(10000, google.ChannelArgs.Args["grpc.keepalive_time_ms"].IntValue);
        Assert.Equal(20000, google.ChannelArgs.Args["grpc.keepalive_timeout_ms"].IntValue);
        Assert.Equal(0, google.ChannelArgs.Args["grpc.http2.max_pings_without_data"].IntValue);
        Assert.DoesNotContain(bootstrap.StaticResources.Clusters, c => c.Name == "xds_cluster");
    }

    [Fact]
    public void SigV4_WithoutTls_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => EnvoyBootstrap.ToYaml(BootstrapCases.VirtualNode with { SigV4 = new SigV4Options { Region = "us-east-1" } }));
        Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zipkin", "zipkin")]
    [InlineData("jaeger", "jaeger")]
    public void Tracing_Zipkin_ReportsToItsCollectorCluster(string name, string cluster)
    {
        var bootstrap = Parse(BootstrapCases.All[name]);
        Assert.Equal("envoy.tracers.zipkin", bootstrap.Tracing.Http.Name);
        var zipkin = bootstrap.Tracing.Http.TypedConfig.Unpack<ZipkinConfig>();
        Assert.Equal((cluster, "/api/v2/spans", ZipkinConfig.Types.CollectorEndpointVersion.HttpJson),
            (zipkin.CollectorCluster, zipkin.CollectorEndpoint, zipkin.CollectorEndpointVersion));
        var collector = Assert.Single(bootstrap.StaticResources.Clusters, c => c.Name == cluster);
        Assert.Equal(9411u, collector.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.PortValue);
    }

    [Fact]
    public void Tracing_OpenTelemetry_ExportsOtlpOverGrpc()
    {
        var bootstrap = Parse(BootstrapCases.All["otel"]);
        Assert.Equal("envoy.tracers.opentelemetry", bootstrap.Tracing.Http.Name);
        var otel = bootstrap.Tracing.Http.TypedConfig.Unpack<OpenTelemetryConfig>();
        Assert.Equal("opentelemetry_collector", otel.GrpcService.EnvoyGrpc.ClusterName);
        Assert.Equal("web", otel.ServiceName);
        var collector = Assert.Single(bootstrap.StaticResources.Clusters, c => c.Name == "opentelemetry_collector");
        Assert.NotNull(collector.TypedExtensionProtocolOptions[Http2Options].Unpack<UpstreamHttpOptions>().ExplicitHttpConfig.Http2ProtocolOptions);
    }

    [Fact]
    public void Sds_AddsAppMeshStaticSdsCluster()
    {
        var cluster = Assert.Single(Parse(BootstrapCases.All["sds"]).StaticResources.Clusters, c => c.Name == "static_cluster_sds_unix_socket");
        Assert.Equal("/run/spire/sockets/agent.sock", cluster.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.Pipe.Path);
    }

    [Fact]
    public void Runtime_CarriesAppMeshFlags_AndAdminLayer()
    {
        var layers = Parse(BootstrapCases.VirtualNode).LayeredRuntime.Layers;
        Assert.Equal(["static_layer_0", "admin_layer"], layers.Select(l => l.Name));
        Assert.True(layers[0].StaticLayer.Fields["envoy.features.enable_all_deprecated_features"].BoolValue);
        Assert.NotNull(layers[1].AdminLayer);
    }

    [Theory]
    [InlineData("mesh/demo/virtualRouter/web", "virtualRouter")]
    [InlineData("mesh/demo/virtualNode", "must name")]
    [InlineData("arn:aws:s3:::bucket", "not an App Mesh ARN")]
    [InlineData("mesh/demo@12/virtualNode/web", "12-digit")]
    [InlineData("", "missing")]
    public void BadNode_IsRefusedWithTheReason(string node, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => EnvoyBootstrap.ToYaml(new BootstrapOptions { NodeId = node }));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
