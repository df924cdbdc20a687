namespace Mesh.Bootstrap.Tests;

/// <summary>The settings shared by the command line and the HTTP query, and the pieces they are read with.</summary>
public sealed class ArgumentsTests
{
    private static BootstrapOptions Parse(params string[] args) =>
        BootstrapArguments.Parse(BootstrapArguments.FromCommandLine(args), BootstrapOptions.DefaultXds, "us-east-1");

    [Fact]
    public void Defaults_AreAppMeshs()
    {
        var options = Parse("--node", "mesh/demo/virtualNode/web");
        Assert.Equal("mesh/demo/virtualNode/web", options.NodeId);
        Assert.Null(options.Cluster);
        Assert.Equal(new HostPort("127.0.0.1", 18000), options.Xds);
        Assert.Equal(("0.0.0.0", 9901), (options.AdminAddress, options.AdminPort));
        Assert.False(options.Delta);
        Assert.Equal(StatsTagsStyle.AppMesh, options.StatsTags);
        Assert.Null(options.Tls);
        Assert.Null(options.SigV4);
        Assert.Null(options.Tracing);
    }

    [Fact]
    public void ANodeArnOfAnotherRegion_IsRefused_AsTheXdsServerWouldRefuseIt()
    {
        Assert.Equal("arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web", Parse("--node", "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web").NodeId);
        var error = Assert.Throws<ArgumentException>(() => Parse("--node", "arn:aws:appmesh:eu-west-1:111122223333:mesh/demo/virtualNode/web"));
        Assert.Contains("the ARN is in region 'eu-west-1', but this Mesh serves region 'us-east-1'", error.Message);
    }

    [Fact]
    public void EverySetting_IsRead()
    {
        var options = Parse(
            "--node", "mesh/demo/virtualGateway/edge", "--cluster", "edges", "--xds", "[::1]:18443", "--delta", "--admin-port", "9902",
            "--admin-address", "127.0.0.1", "--admin-access-log", "/tmp/admin.log", "--initial-fetch-timeout", "30",
            "--xds-tls", "--ca", "/ca.pem", "--server-name", "xds", "--cert", "/c.pem", "--key", "/k.pem",
            "--sigv4", "--region", "eu-west-1", "--signing-name", "appmesh-preview",
            "--tracing", "otel", "--tracing-address", "collector:4317", "--service-name", "edge",
            "--sds-socket", "/run/sds.sock", "--no-stats-tags", "--dogstatsd", "10.0.0.9:8125", "--stats-flush-interval", "2500ms",
            "--outlier-event-log", "/var/log/mesh-envoy/outlier-events.log");
        Assert.Equal("edges", options.Cluster);
        Assert.Equal(new HostPort("::1", 18443), options.Xds);
        Assert.True(options.Delta);
        Assert.Equal(("127.0.0.1", 9902, "/tmp/admin.log"), (options.AdminAddress, options.AdminPort, options.AdminAccessLogPath));
        Assert.Equal(TimeSpan.FromSeconds(30), options.InitialFetchTimeout);
        Assert.Equal(new XdsTlsOptions { CaFile = "/ca.pem", ServerName = "xds", CertificateFile = "/c.pem", PrivateKeyFile = "/k.pem" }, options.Tls);
        Assert.Equal(new SigV4Options { Region = "eu-west-1", SigningName = "appmesh-preview" }, options.SigV4);
        Assert.Equal(new TracingOptions { Provider = TracingProvider.OpenTelemetry, Collector = new HostPort("collector", 4317), ServiceName = "edge" }, options.Tracing);
        Assert.Equal("/run/sds.sock", options.SdsSocketPath);
        Assert.Equal(StatsTagsStyle.None, options.StatsTags);
        Assert.Equal(new DogStatsdTarget { Address = new HostPort("10.0.0.9", 8125) }, options.DogStatsd);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), options.StatsFlushInterval);
        Assert.Equal("/var/log/mesh-envoy/outlier-events.log", options.OutlierEventLogPath);
    }

    [Fact]
    public void OutlierEventLog_DefaultsToStdout_AndEmptyWritesNone()
    {
        // Under systemd, stdout is the journal's socket, which Envoy cannot open as a file (docs/vms.md).
        Assert.Equal("/dev/stdout", Parse("--node", "mesh/demo/virtualNode/web").OutlierEventLogPath);
        var none = Parse("--node", "mesh/demo/virtualNode/web", "--outlier-event-log", "");
        Assert.Null(none.OutlierEventLogPath);
        Assert.DoesNotContain("event_log_path", EnvoyBootstrap.ToYaml(none));
    }

    [Theory]
    [InlineData("", "127.0.0.1", 8125, null)]
    [InlineData("[::1]:9125", "::1", 9125, null)]
    [InlineData("unix:/var/run/datadog/dsd.socket", null, 0, "/var/run/datadog/dsd.socket")]
    public void DogStatsd_TakesAnAddressOrASocket(string value, string? host, int port, string? socket)
    {
        var target = Parse("--node", "mesh/demo/virtualNode/web", "--dogstatsd", value).DogStatsd!;
        Assert.Equal(host, target.Address?.Host);
        Assert.Equal(port, target.Address?.Port ?? 0);
        Assert.Equal(socket, target.SocketPath);
    }

    [Theory]
    [InlineData("--dogstatsd", "datadog-agent:8125", "dogstatsd 'datadog-agent:8125' must be an IP address and port (Envoy sends its UDP packets to an address, not a name), or unix:<path>.")]
    [InlineData("--dogstatsd", "unix:dsd.socket", "dogstatsd 'unix:dsd.socket' needs an absolute socket path.")]
    [InlineData("--stats-flush-interval", "300000", "stats-flush-interval takes milliseconds from 1 to 299999, not '300000'.")]
    [InlineData("--stats-flush-interval", "5s", "stats-flush-interval takes milliseconds from 1 to 299999, not '5s'.")]
    public void StatsSettingsThatCannotWork_SayWhy(string name, string value, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => Parse("--node", "mesh/demo/virtualNode/web", name, value));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("appmesh", StatsTagsStyle.AppMesh)]
    [InlineData("extended", StatsTagsStyle.Extended)]
    [InlineData("none", StatsTagsStyle.None)]
    public void StatsTags_Style_Is_Read(string value, StatsTagsStyle expected) =>
        Assert.Equal(expected, Parse("--node", "mesh/demo/virtualNode/web", "--stats-tags", value).StatsTags);

    [Fact]
    public void StatsTags_Style_Must_Be_Known()
    {
        var error = Assert.Throws<ArgumentException>(() => Parse("--node", "mesh/demo/virtualNode/web", "--stats-tags", "all"));
        Assert.Equal("stats-tags is appmesh, extended or none, not 'all'.", error.Message);
    }

    [Fact]
    public void SigV4_TakesTheConfiguredRegion()
    {
        var options = BootstrapArguments.Parse(BootstrapArguments.FromCommandLine(["--node", "mesh/m/virtualNode/n", "--xds-tls", "--ca", "/ca", "--sigv4"]), BootstrapOptions.DefaultXds, "ap-south-1");
        Assert.Equal("ap-south-1", options.SigV4!.Region);
    }

    [Theory]
    [InlineData("missing", "--xds", "xds:1")]
    [InlineData("Unknown setting 'color'", "--node", "mesh/m/virtualNode/n", "--color", "red")]
    [InlineData("not host:port", "--node", "mesh/m/virtualNode/n", "--xds", "xds")]
    [InlineData("not host:port", "--node", "mesh/m/virtualNode/n", "--xds", "::1:18000")]
    [InlineData("not a port", "--node", "mesh/m/virtualNode/n", "--admin-port", "70000")]
    [InlineData("needs ca", "--node", "mesh/m/virtualNode/n", "--xds-tls")]
    [InlineData("only apply with xds-tls", "--node", "mesh/m/virtualNode/n", "--ca", "/ca.pem")]
    [InlineData("only apply with sigv4", "--node", "mesh/m/virtualNode/n", "--region", "us-west-2")]
    [InlineData("not one of zipkin, jaeger, otel", "--node", "mesh/m/virtualNode/n", "--tracing", "xray", "--tracing-address", "x:1")]
    [InlineData("needs tracing-address", "--node", "mesh/m/virtualNode/n", "--tracing", "zipkin")]
    [InlineData("needs a value", "--node")]
    [InlineData("Unexpected argument", "mesh/m/virtualNode/n")]
    public void Mistakes_AreNamed(string expected, params string[] args)
    {
        var error = Assert.Throws<ArgumentException>(() => Parse(args));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.3.7", "10.0.3.7", null)]
    [InlineData("10.0.3.7:8080", "10.0.3.7", 8080)]
    [InlineData("fd00::7", "fd00::7", null)]
    [InlineData("[fd00::7]:8080", "fd00::7", 8080)]
    public void RegisterInstance_IsAnAddressAndOptionalPort(string value, string address, int? port)
    {
        var options = Parse("--node", "mesh/demo/virtualNode/web", "--register-instance", value, "--instance-id", "web-1");
        Assert.Equal(new InstanceRegistration { Address = address, Port = port, InstanceId = "web-1" }, options.RegisterInstance);
        Assert.Null(Parse("--node", "mesh/demo/virtualNode/web").RegisterInstance);
    }

    [Theory]
    [InlineData("is not <ip> or <ip>:<port>", "--register-instance", "web.local:8080")]
    [InlineData("is not <ip> or <ip>:<port>", "--register-instance", "10.0.3.7:0")]
    [InlineData("is not <ip> or <ip>:<port>", "--register-instance", "[10.0.3.7]")]
    [InlineData("only applies with register-instance", "--instance-id", "web-1")]
    [InlineData("1 to 64 characters", "--register-instance", "10.0.3.7", "--instance-id", "")]
    public void RegisterInstance_Mistakes_AreNamed(string expected, params string[] args)
    {
        var error = Assert.Throws<ArgumentException>(() => Parse(["--node", "mesh/demo/virtualNode/web", .. args]));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegisterInstance_IsAQueryParameterToo() =>
        Assert.Contains("register-instance", BootstrapArguments.Names);

    [Theory]
    [InlineData("xds:18000", "xds", 18000)]
    [InlineData("10.1.2.3:1", "10.1.2.3", 1)]
    [InlineData("[fd00::1]:65535", "fd00::1", 65535)]
    public void HostPort_Parses(string text, string host, int port)
    {
        var address = HostPort.Parse(text, "xds");
        Assert.Equal(new HostPort(host, port), address);
        Assert.Equal(text, address.ToString());
    }

    [Theory]
    [InlineData("yaml", null)]
    [InlineData("yaml", "YAML")]
    [InlineData("json", "json")]
    public void Format_IsYamlUnlessJsonIsAsked(string expected, string? format)
    {
        var values = format is null ? [] : new List<KeyValuePair<string, string?>> { new("format", format) };
        Assert.Equal(expected, BootstrapArguments.Format(values));
    }
}
