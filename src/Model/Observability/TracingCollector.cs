using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Model.Observability;

/// <summary>Where spans go: a DNS name or IP address, and a port.</summary>
public sealed record TracingCollector(string Host, int Port)
{
    public bool IsIpAddress => IPAddress.TryParse(Host, out _);

    /// <summary><c>host:port</c>, with an IPv6 address in brackets.</summary>
    public override string ToString() =>
        (IPAddress.TryParse(Host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Host}]" : Host)
        + ":" + Port.ToString(CultureInfo.InvariantCulture);
}
