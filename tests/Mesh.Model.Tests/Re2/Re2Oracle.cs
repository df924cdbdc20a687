using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Mesh.Model.Tests.Re2;

/// <summary>
/// What the real RE2 says of a pattern, compiled as Envoy compiles a <c>safe_regex</c>: Debian's libre2 through
/// <c>re2check.cc</c>, built with g++ once per test run into a temporary directory (removed once it runs) and kept running, one pattern a line.
/// It needs <c>g++</c> and <c>libre2-dev</c> (<c>.ci/run</c> installs them); without them the tests that ask it fail
/// saying so, never pass.
/// </summary>
internal sealed class Re2Oracle : IDisposable
{
    private static readonly Lazy<Re2Oracle> Shared = new(() => new Re2Oracle(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Process _process;
    private readonly Lock _lock = new();

    public static Re2Oracle Instance => Shared.Value;

    private Re2Oracle()
    {
        var directory = Directory.CreateTempSubdirectory("mesh-re2check-").FullName;
        var program = Path.Combine(directory, "re2check");
        var source = Path.Combine(AppContext.BaseDirectory, "Re2", "re2check.cc");
        Run("g++", $"-O1 -o \"{program}\" \"{source}\" -lre2", "g++ and libre2-dev are needed for the RE2 tests (apt-get install g++ libre2-dev; .ci/run installs them)");
        _process = Process.Start(new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        }) ?? throw new InvalidOperationException("re2check did not start");

        // Running, it needs its file no more (Linux keeps an unlinked program running): nothing is left in /tmp.
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>RE2's verdict: its program size, or its error.</summary>
    public Re2Verdict Judge(string pattern)
    {
        var hex = Convert.ToHexString(Encoding.UTF8.GetBytes(pattern));
        lock (_lock)
        {
            _process.StandardInput.WriteLine(hex);
            _process.StandardInput.Flush();
            var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("re2check ended");
            var parts = line.Split(' ', 3);
            return parts[0] switch
            {
                "ok" => new Re2Verdict(int.Parse(parts[1], CultureInfo.InvariantCulture), null),
                "error" => new Re2Verdict(null, $"{parts[1]}: {parts[2]}"),
                _ => throw new InvalidOperationException($"re2check answered '{line}' for {hex}"),
            };
        }
    }

    public void Dispose()
    {
        _process.Kill();
        _process.Dispose();
    }

    private static void Run(string file, string arguments, string hint)
    {
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, UseShellExecute = false })!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{file} could not start ({e.Message}): {hint}", e);
        }

        using (process)
        {
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {arguments} failed ({hint}):\n{errors}");
            }
        }
    }
}

/// <param name="ProgramSize">The compiled program's size (what Envoy compares with <c>re2.max_program_size.error_level</c>); null when RE2 refuses the pattern.</param>
/// <param name="Error">RE2's error code and message; null when it compiles.</param>
internal sealed record Re2Verdict(int? ProgramSize, string? Error)
{
    public bool Compiles => Error is null;
}
