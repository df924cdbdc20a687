namespace Mesh.Bootstrap.Tests;

/// <summary>The option sets every bootstrap test runs over; each has a golden file under Golden/.</summary>
public static class BootstrapCases
{
    public static readonly BootstrapOptions VirtualNode = new() { NodeId = "mesh/demo/virtualNode/web-v1", Xds = new HostPort("xds", 18000) };

    private static readonly XdsTlsOptions Tls = new()
    {
        CaFile = "/etc/mesh/ca.pem",
        ServerName = "xds.mesh.internal",
        CertificateFile = "/etc/mesh/proxy.pem",
        PrivateKeyFile = "/etc/mesh/proxy-key.pem",
    };

    public static readonly IReadOnlyDictionary<string, BootstrapOptions> All = new Dictionary<string, BootstrapOptions>
    {
        ["virtual-node"] = VirtualNode,
        ["virtual-gateway-arn"] = new()
        {
            NodeId = "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualGateway/edge",
            Cluster = "edge-gateways",
            Xds = new HostPort("10.0.0.5", 18000),
            AdminPort = 9902,
        },
        ["shared-mesh"] = VirtualNode with { NodeId = "mesh/shared@444455556666/virtualNode/web" },
        ["delta"] = VirtualNode with { Delta = true, InitialFetchTimeout = TimeSpan.FromSeconds(15) },
        ["ipv6"] = VirtualNode with { Xds = new HostPort("::1", 18000), AdminAddress = "::" },
        ["tls"] = VirtualNode with { Tls = Tls },
        ["sigv4"] = VirtualNode with { Xds = new HostPort("xds.mesh.internal", 443), Tls = Tls with { CertificateFile = null, PrivateKeyFile = null }, SigV4 = new SigV4Options { Region = "eu-west-1" } },
        ["zipkin"] = VirtualNode with { Tracing = new TracingOptions { Provider = TracingProvider.Zipkin, Collector = new HostPort("zipkin", 9411) } },
        ["jaeger"] = VirtualNode with { Tracing = new TracingOptions { Provider = TracingProvider.Jaeger, Collector = new HostPort("127.0.0.1", 9411) } },
        ["otel"] = VirtualNode with { Tracing = new TracingOptions { Provider = TracingProvider.OpenTelemetry, Collector = new HostPort("otel-collector", 4317), ServiceName = "web" } },
        ["sds"] = VirtualNode with { SdsSocketPath = "/run/spire/sockets/agent.sock" },
        ["dogstatsd"] = VirtualNode with { DogStatsd = DogStatsdTarget.Parse("127.0.0.1:8125"), StatsFlushInterval = TimeSpan.FromSeconds(10) },
        ["dogstatsd-socket"] = VirtualNode with { DogStatsd = DogStatsdTarget.Parse("unix:/var/run/datadog/dsd.socket") },
        ["no-stats-tags"] = VirtualNode with { StatsTags = StatsTagsStyle.None, OutlierEventLogPath = null },
        ["extended-stats-tags"] = VirtualNode with { StatsTags = StatsTagsStyle.Extended },
        ["register-instance"] = VirtualNode with { RegisterInstance = new InstanceRegistration { Address = "10.0.3.7", Port = 8080, InstanceId = "web-v1-a" } },
    };

    public static TheoryData<string> Names() => new(All.Keys);
}
