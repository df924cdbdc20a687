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
                var socketPath = string.IsNullOrEmpty(dockerHost) ? DefaultSockets().FirstOrDefault(File.Exists) : dockerHost["unix://".Length..];
                if (socketPath is null || !File.Exists(socketPath))
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

    /// <summary>Where Docker Engine, rootless Docker and Docker Desktop put their socket.</summary>
    private static IEnumerable<string> DefaultSockets()
    {
        yield return "/var/run/docker.sock";
        if (System.Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtimeDir)
        {
            yield return Path.Combine(runtimeDir, "docker.sock");
        }

        yield return Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".docker", "run", "docker.sock");
    }

    private static async Task<bool> PingAsync(HttpMessageHandler handler, Uri uri, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(handler, disposeHandler: false);
        using var response = await client.GetAsync(uri, cancellationToken);
        return response.IsSuccessStatusCode;
    }
}
