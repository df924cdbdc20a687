using System.Diagnostics;
using System.Text.Json;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>The server as an operator runs it, with <c>Logging__Console__FormatterName=json</c>: one JSON object per line.</summary>
public sealed class JsonLogTests
{
    [Fact]
    public async Task The_Process_Logs_One_Json_Object_Per_Line_When_Asked()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Mesh.XdsServer.Hosting.XdsServerHosting).Assembly.Location);
        start.Environment["Logging__Console__FormatterName"] = "json";
        start.Environment["Xds__GrpcUrl"] = "http://127.0.0.1:0";
        start.Environment["Xds__AdminUrl"] = "http://127.0.0.1:0";
        start.Environment["Xds__Auth__Mode"] = "None";
        using var process = Process.Start(start)!;
        try
        {
            // The host logs its listening addresses once it has started; read up to that line.
            var timeout = TaskTimeouts.Token();
            JsonElement listening;
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout)
                    ?? throw new InvalidOperationException("the server exited: " + await process.StandardError.ReadToEndAsync(timeout));
                using var entry = JsonDocument.Parse(line); // every line must be JSON, or this throws
                if (entry.RootElement.GetProperty("Message").GetString()!.StartsWith("Now listening on", StringComparison.Ordinal))
                {
                    listening = entry.RootElement.Clone();
                    break;
                }
            }

            Assert.Equal("Information", listening.GetProperty("LogLevel").GetString());
            Assert.Equal("Microsoft.Hosting.Lifetime", listening.GetProperty("Category").GetString());
            Assert.StartsWith("http://127.0.0.1:", listening.GetProperty("State").GetProperty("address").GetString());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
