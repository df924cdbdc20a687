using System.Diagnostics;
using System.Text;

namespace Mesh.Console.Tests;

/// <summary>
/// Runs one scenario of browser/console.test.mjs: puppeteer-core driving Debian's headless Chromium against the
/// stack. The script fails (exit code not 0) on the first expectation the console does not meet and says which;
/// its output is the assertion message. Screenshots go to TestResults/console-screenshots in the repository.
/// </summary>
public static class BrowserScript
{
    private static readonly SemaphoreSlim NpmLock = new(1, 1);

    public static string ScreenshotDirectory { get; } = Path.Combine(ConsoleStack.RepositoryRoot, "TestResults", "console-screenshots");

    public static async Task<string> RunAsync(ConsoleStack stack, string script, string scenario, IReadOnlyDictionary<string, string>? extra = null)
    {
        await EnsureNodeModulesAsync();
        Directory.CreateDirectory(ScreenshotDirectory);
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { script, scenario },
            WorkingDirectory = ConsoleStack.BrowserDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["MESH_API_URL"] = stack.ApiUrl.ToString().TrimEnd('/'),
                ["MESH_XDS_GRPC"] = $"{stack.XdsGrpcUrl.Host}:{stack.XdsGrpcUrl.Port}",
                ["MESH_ADMIN_KEY_ID"] = stack.Admin.Id,
                ["MESH_ADMIN_SECRET"] = stack.Admin.Secret,
                ["MESH_READONLY_KEY_ID"] = stack.ReadOnly.Id,
                ["MESH_READONLY_SECRET"] = stack.ReadOnly.Secret,
                ["MESH_SCREENSHOTS"] = ScreenshotDirectory,
                ["CHROMIUM"] = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium",
            },
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{script} {scenario} did not finish within 5 minutes:\n{output}");
        }

        process.WaitForExit();
        var text = output.ToString();
        Assert.True(process.ExitCode == 0, $"{script} {scenario} failed (exit {process.ExitCode}):\n{text}\nAPI host output:\n{stack.ApiOutput}");
        return text;
    }

    private static async Task EnsureNodeModulesAsync()
    {
        await NpmLock.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(ConsoleStack.BrowserDirectory, "node_modules", "puppeteer-core"))
                && Directory.Exists(Path.Combine(ConsoleStack.BrowserDirectory, "node_modules", "axe-core")))
            {
                return;
            }

            // .ci/run installs these; a developer's first run installs them here from the lock file, as npm ci would.
            using var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund --loglevel=error") { WorkingDirectory = ConsoleStack.BrowserDirectory })!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await npm.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, npm.ExitCode);
        }
        finally
        {
            NpmLock.Release();
        }
    }
}
