using Mesh.Model.Wire;

namespace Mesh.Api.Observability;

/// <summary>Seeds the API's counters at zero when the host starts (see <see cref="ApiMetrics.SeedZeros"/>).</summary>
public sealed class ApiMetricsSeeder(ApiMetrics metrics, ServiceModel model) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        metrics.SeedZeros(model.Operations.Select(o => (o.Name, o.ResponseCode)));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
