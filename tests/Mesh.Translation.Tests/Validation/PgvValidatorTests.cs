using Mesh.EnvoyTesting;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Translation.Tests.Validation;

/// <summary>The validator must catch real violations, or a passing golden run proves nothing.</summary>
public sealed class PgvValidatorTests
{
    private static IReadOnlyList<string> Validate(Google.Protobuf.IMessage message) => PgvValidator.Validate(message, EnvoyTypes.Registry);

    [Fact]
    public void Reports_StringMinLength()
    {
        var errors = Validate(new Cluster { ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) });

        Assert.Contains(errors, e => e.StartsWith("envoy.config.cluster.v3.Cluster.name: must be at least 1 characters", StringComparison.Ordinal));
    }

    [Fact]
    public void Reports_DurationBound()
    {
        var errors = Validate(new Cluster { Name = "c", ConnectTimeout = Duration.FromTimeSpan(TimeSpan.Zero) });

        Assert.Contains("envoy.config.cluster.v3.Cluster.connect_timeout: must be > 0, is 0", errors);
    }

    [Fact]
    public void Reports_RequiredMessage_AndRepeatedMinimum()
    {
        var errors = Validate(new HealthCheck { Interval = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)), TcpHealthCheck = new() });
        var weighted = Validate(new RouteAction { WeightedClusters = new WeightedCluster() });

        Assert.Contains("envoy.config.core.v3.HealthCheck.timeout: is required", errors);
        Assert.Contains(weighted, e => e.Contains("weighted_clusters.clusters: needs at least 1 items", StringComparison.Ordinal));
    }

    [Fact]
    public void Reports_RequiredOneof()
    {
        var errors = Validate(new Route { Match = new RouteMatch { Prefix = "/" } });

        Assert.Contains("envoy.config.route.v3.Route: one of action is required", errors);
    }

    [Fact]
    public void Looks_InsideAny()
    {
        var listener = new Listener
        {
            Name = "l",
            ApiListener = new ApiListener { ApiListener_ = Any.Pack(new HttpConnectionManager { Rds = new Rds { ConfigSource = new ConfigSource { Ads = new() } } }) },
        };

        var errors = Validate(listener);

        Assert.Contains(errors, e => e.Contains("<envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager>.stat_prefix: must be at least 1 characters", StringComparison.Ordinal));
    }

    [Fact]
    public void Reports_HeaderNamePattern()
    {
        var errors = Validate(new HeaderMatcher { Name = "bad\nheader", PresentMatch = true });

        Assert.Contains(errors, e => e.Contains("HeaderMatcher.name: must be a valid HttpHeaderName", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("header\n")]
    [InlineData("header\r")]
    public void Reports_HeaderNamePattern_WithTheLineBreakLast(string name)
    {
        // RE2's '$' matches at the very end only; .NET's also before a final newline, which hid this from the rules.
        var errors = Validate(new HeaderMatcher { Name = name, PresentMatch = true });

        Assert.Contains(errors, e => e.Contains("HeaderMatcher.name: must be a valid HttpHeaderName", StringComparison.Ordinal));
    }

    [Fact]
#pragma warning disable CS0612 // The point is to set a deprecated field.
    public void Reports_DeprecatedField()
    {
        var errors = Validate(new RouteAction { Cluster = "c", MaxGrpcTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) });

        Assert.Contains("envoy.config.route.v3.RouteAction.max_grpc_timeout: deprecated field is set", errors);
    }
#pragma warning restore CS0612

    [Fact]
    public void Ignores_OneofMembersNotChosen()
    {
        Assert.Empty(Validate(new RouteMatch { Prefix = "/" }));
    }
}
