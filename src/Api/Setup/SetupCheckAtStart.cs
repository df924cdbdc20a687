using Mesh.Security;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Setup;

/// <summary>
/// Stops the host before it serves when the database is misconfigured (not migrated, another master key): every call
/// would fail, so it is better said once, plainly, with exit code 2. An unreachable database is only logged, since
/// PostgreSQL may simply start later; <c>/readyz</c> fails until it answers. Run by <c>Program</c> rather than as a
/// hosted service, whose failure the host would log with a stack trace.
/// </summary>
public static partial class SetupCheckAtStart
{
    public static async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        // A database that is down must not hold the start for long (Mesh:StartCheckTimeout): the host starts and
        // /readyz reports it.
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(services.GetRequiredService<IOptions<MeshApiOptions>>().Value.StartCheckTimeout);
        var state = await services.GetRequiredService<DatabaseSetup>().CheckAsync(patience.Token);
        switch (state.Status)
        {
            case SetupStatus.Misconfigured:
                throw new ApiConfigurationException(state.Message);
            case SetupStatus.Unreachable:
                LogUnreachable(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SetupCheckAtStart).FullName!), state.Message);
                break;
        }
    }

    [LoggerMessage(EventId = 48, Level = LogLevel.Warning,
        Message = "Starting without the database: {Problem} /readyz fails until it answers.")]
    private static partial void LogUnreachable(ILogger logger, string problem);
}
