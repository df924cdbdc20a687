using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Registration;

/// <summary>Source-generated log messages of automatic Cloud Map registration (events 60–69).</summary>
internal static partial class RegistrationLog
{
    [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "Stream {StreamId} ({Proxy}): instance {Instance} is {State} in {Service} {Detail}")]
    public static partial void RegistrationChanged(this ILogger logger, long streamId, string proxy, string instance, string state, string service, string detail);

    [LoggerMessage(EventId = 61, Level = LogLevel.Information, Message = "Instance {InstanceId} in {Service}: its stream closed; it stays registered for {Grace} unless it reconnects to a replica")]
    public static partial void RegistrationReleased(this ILogger logger, string instanceId, string service, TimeSpan grace);

    [LoggerMessage(EventId = 62, Level = LogLevel.Information, Message = "Deregistered instance {InstanceId} from {Service}: its lease (last held by {Owner}) lapsed")]
    public static partial void RegistrationLapsed(this ILogger logger, string instanceId, string service, string owner);

    [LoggerMessage(EventId = 63, Level = LogLevel.Warning, Message = "Automatic registration pass failed; retrying at the next interval")]
    public static partial void RegistrationPassFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 64, Level = LogLevel.Warning, Message = "Stream {StreamId} ({Proxy}): {Error}; the proxy is not registered")]
    public static partial void RegistrationInvalid(this ILogger logger, long streamId, string proxy, string error);
}
