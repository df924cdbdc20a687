using Grpc.Core;
using Xunit;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// How the .NET client's streams end when the xDS server stops. The server ends every stream with UNAVAILABLE
/// ("shutting down") and then closes the connection. When the trailers and the close arrive in one burst, the .NET
/// HTTP/2 client can fail a stream whose trailers it has received but not yet handed on: INTERNAL "The HTTP/2 server
/// closed the connection", NO_ERROR (its own race; Envoy's codec hands each frame on as it parses it). That ending is
/// told apart from a reset or a cut stream, whose details name a reset, an abort or another error code.
/// </summary>
public static class StopEndings
{
    private const string ClientRaceDetail = "The HTTP/2 server closed the connection. HTTP/2 error code 'NO_ERROR'";

    /// <summary>
    /// Every stream ended with the server's UNAVAILABLE or with the client's own race above, nothing else, and at least
    /// one carried the server's status (so the status the server sends is still checked).
    /// </summary>
    public static void AssertEndedByTheServer(IReadOnlyCollection<RpcException> endings)
    {
        Assert.All(endings, AssertEndedByTheStop);
        Assert.Contains(endings, IsServersUnavailable);
    }

    /// <summary>The stream ended with the server's UNAVAILABLE or with the client's own race at the connection's close.</summary>
    public static void AssertEndedByTheStop(RpcException e) => Assert.True(
        IsServersUnavailable(e) || (e.StatusCode == StatusCode.Internal && e.Status.Detail.Contains(ClientRaceDetail, StringComparison.Ordinal)),
        $"{e.StatusCode}: {e.Status.Detail}");

    private static bool IsServersUnavailable(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable && e.Status.Detail.Contains("shutting down", StringComparison.Ordinal) && e.Status.DebugException is null;
}
