using System.Text;

namespace Mesh.Model.Resources;

/// <summary>
/// What a virtual node's DNS hostname may be beyond the model's rules (which give it none). Envoy resolves it, sends it
/// as its health checks' Host and as its TLS server name (SNI) to the node, and refuses a Host with a control character
/// and a server name of more than <see cref="MaxBytes"/> bytes with the whole cluster update of every caller.
/// </summary>
public static class DnsHostnames
{
    /// <summary>The longest TLS server name Envoy takes (its proto's <c>max_bytes</c>); no DNS name is longer.</summary>
    public const int MaxBytes = 255;

    /// <summary>Why <paramref name="hostname"/> can name no host, in words that follow "has a DNS hostname"; null when it can.</summary>
    public static string? Problem(string hostname)
    {
        if (HttpText.HasSpaceOrControl(hostname))
        {
            return "with spaces or control characters";
        }

        var bytes = Encoding.UTF8.GetByteCount(hostname);
        return bytes > MaxBytes ? $"of {bytes} bytes, longer than any DNS name" : null;
    }
}
