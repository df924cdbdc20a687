using System.Net;
using System.Net.Sockets;

namespace Mesh.Api.Tests.WebConsole;

/// <summary>
/// HTTP clients whose connections come from a chosen loopback address (any of 127.0.0.0/8 reaches a server on
/// 127.0.0.1), so that one test process can be several source addresses to the API host.
/// </summary>
public static class SourceAddressClient
{
    public static HttpClient Create(Uri baseAddress, string sourceAddress, CookieContainer? cookies = null) =>
        new(new SocketsHttpHandler
        {
            UseCookies = cookies is not null,
            CookieContainer = cookies ?? new CookieContainer(),
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(sourceAddress), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        { BaseAddress = baseAddress };
}
