using Grpc.Core;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// Writes a request to a stream the server may be refusing. A server that refuses the call (authentication, a bad
/// node) can end it before or while the request is written, so the write races the refusal. How the call ended is
/// what tests assert on, and reading the response stream reports it; a write to an ended call is not an error.
/// </summary>
public static class RefusableWrite
{
    public static async Task WriteAsync<T>(IClientStreamWriter<T> requests, T request)
    {
        try
        {
            await requests.WriteAsync(request).DefaultTimeout();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or OperationCanceledException)
        {
            // grpc-dotnet's ways of saying the call has ended: with its status, "the call is complete", or cancelled.
        }
    }
}
