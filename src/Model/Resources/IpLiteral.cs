using System.Net;
using System.Net.Sockets;

namespace Mesh.Model.Resources;

/// <summary>
/// An IP address written as a literal the way Envoy, gRPC and the AWS SDKs read one: IPv4 in canonical dotted decimal,
/// IPv6 without a zone. .NET's <see cref="IPAddress.TryParse(string, out IPAddress)"/> also takes what other readers
/// disagree on: "010.1.1.1" as octal (8.1.1.1, where Go and Python refuse it or read 10.1.1.1), "0xa.2.2.2" as hex,
/// "10.1" as 10.0.0.1, and "fe80::1%lo" with the interface index of the host that parsed it. Accepting those would
/// send traffic to an address other than the one the user wrote and the registry shows.
/// </summary>
public static class IpLiteral
{
    public static bool TryParse(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (string.IsNullOrEmpty(text) || !IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        var canonical = parsed.AddressFamily switch
        {
            AddressFamily.InterNetwork => parsed.ToString() == text,
            AddressFamily.InterNetworkV6 => parsed.ScopeId == 0 && text.Contains(':', StringComparison.Ordinal)
                && !text.Contains('%', StringComparison.Ordinal) && !text.StartsWith('['),
            _ => false,
        };
        if (!canonical)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    public static bool TryParse(string? text, AddressFamily family, out IPAddress address) =>
        TryParse(text, out address) && address.AddressFamily == family;
}
