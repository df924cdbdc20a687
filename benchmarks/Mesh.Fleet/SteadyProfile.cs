using System.Diagnostics;

namespace Mesh.Fleet;

/// <summary>
/// <c>perf record -g</c> of a server during the steady changes only (the 2nd change on), when <c>--profile-steady DIR</c>
/// is given: started after the first change or push, stopped with SIGINT (perf then writes its file) after the last;
/// or during the connect, when <c>--profile-connect DIR</c> is (the same file names in that directory).
/// The servers need <c>DOTNET_PerfMapEnabled=1</c> for names (in the fleet's environment: both servers inherit it).
/// </summary>
internal sealed class SteadyProfile : IAsyncDisposable
{
    private readonly Process? _perf;

    private SteadyProfile(Process? perf) => _perf = perf;

    public static async Task<SteadyProfile> StartAsync(string? directory, int pid, string name)
    {
        if (directory is null)
        {
            return new SteadyProfile(null);
        }

        Directory.CreateDirectory(directory);
        var perf = Process.Start(new ProcessStartInfo("perf", ["record", "-F", "999", "-g", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", Path.Combine(directory, $"{name}.data")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        _ = perf.StandardError.ReadToEndAsync();
        _ = perf.StandardOutput.ReadToEndAsync();
        await Task.Delay(1000); // perf attaches to every thread before it samples
        return new SteadyProfile(perf);
    }

    public async ValueTask DisposeAsync()
    {
        if (_perf is null)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-INT", _perf.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await _perf.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        _perf.Dispose();
    }
}
