using System.Net.Sockets;

namespace Mesh.Testing;

/// <summary>Answers "would Testcontainers work here?" quickly, without letting Testcontainers hang or throw.</summary>
internal static class DockerEngine
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static async Task<bool> AnswersAsync(CancellationToken cancellationToken)
    {
        var dockerHost = System.Environment.GetEnvironmentVariable("DOCKER_HOST");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);

            if (string.IsNullOrEmpty(dockerHost) || dockerHost.StartsWith("unix://", StringComparison.Ordinal))
            {
                var socketPath = string.IsNullOrEmpty(dockerHost) ? "/var/run/docker.sock" : dockerHost["unix://".Length..];
                if (!File.Exists(socketPath))
                {
                    return false;
                }

                using var handler = new SocketsHttpHandler
                {
                    ConnectCallback = async (_, token) =>
                    {
                        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                        try
                        {
                            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token);
                            return new NetworkStream(socket, ownsSocket: true);
                        }
                        catch
                        {
                            socket.Dispose();
                            throw;
                        }
                    },
                };
                return await PingAsync(handler, new Uri("http://localhost/_ping"), timeout.Token);
            }

            if (dockerHost.StartsWith("tcp://", StringComparison.Ordinal))
            {
                using var handler = new SocketsHttpHandler();
                return await PingAsync(handler, new Uri("http://" + dockerHost["tcp://".Length..].TrimEnd('/') + "/_ping"), timeout.Token);
            }

            return false;
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or OperationCanceledException or IOException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }

    private static async Task<bool> PingAsync(HttpMessageHandler handler, Uri uri, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(handler, disposeHandler: false);
        using var response = await client.GetAsync(uri, cancellationToken);
        return response.IsSuccessStatusCode;
    }
}
