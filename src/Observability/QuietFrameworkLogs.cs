using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace Mesh.Observability;

/// <summary>
/// Log levels beneath every other configuration source of a host. ASP.NET Core's and EF Core's per-request logs (each
/// request's start and end, each gRPC stream's and its status, each SQL command, at Information) cost more than the
/// request itself and fill the log; <c>Logging:LogLevel:Microsoft.AspNetCore=Information</c> (or
/// <c>EntityFrameworkCore</c>, <c>Grpc.AspNetCore.Server</c>) brings them back.
/// </summary>
public static class QuietFrameworkLogs
{
    private static readonly Dictionary<string, string?> Levels = new()
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
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
