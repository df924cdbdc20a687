using System.ComponentModel;
using System.Diagnostics;

namespace Mesh.Testing;

/// <summary>
/// Prometheus's own checker for the text exposition format (<c>promtool check metrics</c>, from Debian's
/// <c>prometheus</c> package, which .ci/run installs). Its lint is what Prometheus users run into: a name ending in
/// <c>_count</c> on a gauge, a counter without <c>_total</c>, a metric without help.
/// </summary>
public static class Promtool
{
    /// <summary>Throws with promtool's findings when it finds a problem in <paramref name="exposition"/>.</summary>
    public static async Task AssertValidAsync(string exposition)
    {
        var start = new ProcessStartInfo("promtool")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("check");
        start.ArgumentList.Add("metrics");
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not installed: apt-get install prometheus (.ci/run installs it).", e);
        }

        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.StandardInput.WriteAsync(exposition);
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"promtool check metrics found problems (exit {process.ExitCode}):\n{await output}{await error}");
            }
        }
    }
}
