using Mesh.Security;
using Mesh.XdsServer.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Hosting;

/// <summary>
/// Stops the server before it serves when its database is misconfigured (not migrated, another master key), with
/// one line and exit code 2 instead of a feed that fails forever or streams refused with a decryption error. An
/// unreachable database is left to the change feed, which retries and keeps <c>/readyz</c> at 503 until the first
/// load. Run by <c>Program</c> rather than as a hosted service, whose failure the host would log with a stack trace.
/// </summary>
public static class SetupCheckAtStart
{
    public static async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        if (services.GetService<DatabaseSetup>() is not { } setup)
        {
            return; // no database configured: the feed is off and says so
        }

        // A database that is down must not hold the start for long (Xds:StartCheckTimeout): the feed retries and
        // /readyz reports it.
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(services.GetRequiredService<IOptions<XdsOptions>>().Value.StartCheckTimeout);
        var state = await setup.CheckAsync(patience.Token);
        switch (state.Status)
        {
            case SetupStatus.Misconfigured:
                throw new XdsConfigurationException(state.Message);
            case SetupStatus.Unreachable:
                services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.XdsServer.Feed").StartingWithoutDatabase(state.Message);
                break;
        }
    }
}
