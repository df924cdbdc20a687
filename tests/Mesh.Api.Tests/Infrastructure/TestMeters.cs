namespace Mesh.Api.Tests.Infrastructure;

/// <summary>Meter names for a test's own <see cref="Mesh.Api.Observability.ApiMetrics"/>, which no test host exports.</summary>
public static class TestMeters
{
    public static string UniqueName() => "Mesh.Api.Test." + Guid.NewGuid().ToString("N");
}
