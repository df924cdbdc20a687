using System.Globalization;
using Mesh.Model.Wire;

namespace Mesh.Bootstrap;

/// <summary>A <c>host:port</c> address (<c>[::1]:18000</c> for IPv6 literals).</summary>
public sealed record HostPort(string Host, int Port)
{
    public static HostPort Parse(string value, string what) =>
        TryParse(value, out var address) ? address : throw new ArgumentException($"{what} '{value}' is not host:port (a port from 1 to 65535).");

    public static bool TryParse(string? value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HostPort? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !DecimalText.TryParseInt(value.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            return false; // an IPv6 literal must be bracketed
        }

        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '[' or ']'))
        {
            return false;
        }

        address = new HostPort(host, port);
        return true;
    }

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
