using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Auth;

/// <summary>Source-generated log messages of proxy authentication.</summary>
internal static partial class AuthLog
{
    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "xDS proxy authentication is OFF (Xds:Auth:Mode=None): any client may fetch any node's configuration. Use this for local development only.")]
    public static partial void AuthDisabled(this ILogger logger);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "xDS proxy authentication: {Mode}; gRPC port serves {Transport}")]
    public static partial void AuthMode(this ILogger logger, ProxyAuthMode mode, string transport);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "xDS call {Method} from {Peer} refused: {Status}: {Reason}")]
    public static partial void Refused(this ILogger logger, string method, string peer, string status, string reason);
}
