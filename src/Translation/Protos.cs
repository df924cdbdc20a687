using Envoy.Config.Core.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Translation;

/// <summary>Small builders for Envoy messages that every translator needs.</summary>
internal static class Protos
{
    public static Any Pack(IMessage message) => Any.Pack(message);

    public static Google.Protobuf.WellKnownTypes.Duration Duration(TimeSpan value) =>
        Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(value);

    public static Address SocketAddress(string address, uint port, bool ipv4Compat = false) => new()
    {
        SocketAddress = new SocketAddress { Address = address, PortValue = port, Ipv4Compat = ipv4Compat },
    };

    /// <summary>Resources of the same ADS stream (xDS protocol, "Aggregated Discovery Service").</summary>
    public static ConfigSource Ads() => new() { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 };

    /// <summary>A secret from the local SDS server the bootstrap reaches through <see cref="EnvoyNames.SdsUnixSocketCluster"/>.</summary>
    public static ConfigSource LocalSds() => new()
    {
        ResourceApiVersion = ApiVersion.V3,
        ApiConfigSource = new ApiConfigSource
        {
            ApiType = ApiConfigSource.Types.ApiType.Grpc,
            TransportApiVersion = ApiVersion.V3,
            GrpcServices = { new GrpcService { EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = EnvoyNames.SdsUnixSocketCluster } } },
        },
    };

    public static DataSource File(string path) => new() { Filename = path };
}
