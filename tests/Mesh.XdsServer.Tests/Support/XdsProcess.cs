using System.Diagnostics;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>The xDS server binary in a process of its own, as an operator runs it, with only the environment given.</summary>
public static class XdsProcess
{
    public static Process Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(Mesh.XdsServer.Hosting.XdsServerHosting).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Whatever the machine has set, the process gets only what the test says.
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("Xds__", StringComparison.Ordinal) || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || k.StartsWith("Mesh__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }
}
