using System.Globalization;
using System.Net;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Resources;
using Mesh.Model.Wire;

namespace Mesh.XdsServer.Registration;

/// <summary>
/// What a sidecar asks to be registered as, from its node metadata <c>mesh.registration</c>
/// (<c>{address, port?, instanceId?}</c>, written by <c>Mesh.Api bootstrap --register-instance</c>).
/// </summary>
public sealed record RequestedInstance(string InstanceId, IPAddress Address, int? Port)
{
    public const string MetadataKey = "mesh.registration";

    /// <summary>Null when the node asks for nothing; otherwise the request, or <paramref name="error"/> saying what is wrong with it.</summary>
    public static RequestedInstance? FromNode(Node? node, out string? error)
    {
        error = null;
        if (node?.Metadata?.Fields.TryGetValue(MetadataKey, out var value) != true || value!.StructValue is not { } fields)
        {
            return null;
        }

        var address = Text(fields, "address");
        if (!IpLiteral.TryParse(address, out var ip))
        {
            error = $"{MetadataKey}.address must be an IPv4 or IPv6 address, not '{address}'";
            return null;
        }

        int? port = null;
        if (Text(fields, "port") is { } portText)
        {
            if (!DecimalText.TryParseInt(portText, out var p) || p is < 1 or > 65535)
            {
                error = $"{MetadataKey}.port must be a port from 1 to 65535, not '{portText}'";
                return null;
            }

            port = p;
        }

        // The address (and port) make a stable id, so a restarted sidecar reclaims its own instance.
        var instanceId = Text(fields, "instanceId") ?? (port is { } q ? $"{ip}_{q}" : ip.ToString());
        // The id the Cloud Map API would take: RegisterInstance refuses any other, and clients read it back.
        var idShape = ServiceModel.CloudMap.Shape("InstanceId");
        if (instanceId.Length > idShape.Max || !idShape.Pattern!.IsMatch(instanceId))
        {
            error = $"{MetadataKey}.instanceId must have 1 to {idShape.Max} characters matching {idShape.PatternText}";
            return null;
        }

        return new RequestedInstance(instanceId, ip, port);
    }

    /// <summary>The instance attributes that carry the address, as the registry's EDS reads them.</summary>
    public IEnumerable<KeyValuePair<string, string>> AddressAttributes()
    {
        var key = Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "AWS_INSTANCE_IPV6" : "AWS_INSTANCE_IPV4";
        yield return new(key, Address.ToString());
        if (Port is { } port)
        {
            yield return new("AWS_INSTANCE_PORT", port.ToString(CultureInfo.InvariantCulture));
        }
    }

    public override string ToString() => Port is { } port ? $"{InstanceId} ({Address} port {port})" : $"{InstanceId} ({Address})";

    private static string? Text(Struct fields, string name) =>
        fields.Fields.TryGetValue(name, out var v)
            ? v.KindCase switch
            {
                Value.KindOneofCase.StringValue => v.StringValue,
                Value.KindOneofCase.NumberValue => v.NumberValue.ToString(CultureInfo.InvariantCulture),
                _ => null,
            }
            : null;
}
