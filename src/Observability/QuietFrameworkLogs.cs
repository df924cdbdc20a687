using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace Mesh.Observability;

/// <summary>
/// Log levels beneath every other configuration source of a host. ASP.NET Core's and EF Core's per-request logs (each
/// request's start and end, each gRPC stream's and its status, each SQL command, at Information) cost more than the
/// request itself and fill the log; <c>Logging:LogLevel:Microsoft.AspNetCore=Information</c> (with
/// <c>Microsoft.AspNetCore.Hosting.Diagnostics</c> for the request lines, or
/// <c>EntityFrameworkCore</c>, <c>Grpc.AspNetCore.Server</c>) brings them back.
/// </summary>
public static class QuietFrameworkLogs
{
    private static readonly Dictionary<string, string?> Levels = new()
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",

        // Hosting's per-request logger: while it is enabled at any level, ASP.NET Core starts an Activity and a log
        // scope for every request, whether or not anything traces or logs it. Its per-request messages are each request's
        // start and end (Information); a failure to start still ends the host with its exception, and OpenTelemetry's
        // tracing, when configured, still gets its Activity (it listens to the source itself).
        // Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information brings the request logs back.
        ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None",
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning",

        // gRPC logs every call that ends with a status other than OK at Information: when an xDS server stops under
        // 10,000 streams, each ending UNAVAILABLE, those lines queued behind the console logger held the shutdown past
        // its 30 s. Mesh logs and counts its own rejections.
        ["Logging:LogLevel:Grpc.AspNetCore.Server"] = "Warning",
    };

    /// <summary>Adds the levels as the configuration's first (lowest-precedence) source.</summary>
    public static void AddQuietFrameworkLogs(this IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Levels });
}
