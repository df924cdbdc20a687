using System.Collections.Concurrent;
using Mesh.Testing;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.Auth;

/// <summary>Turning authentication off is explicit and says so at start.</summary>
public sealed class AuthWarningTests
{
    [Fact]
    public async Task Mode_None_Logs_A_Warning_At_Start()
    {
        var logs = new CapturingLoggerProvider();
        await using (await XdsTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Xds:Auth:Mode"] = "None" },
            services: s => s.AddSingleton<ILoggerProvider>(logs)))
        {
        }

        var warning = Assert.Single(logs.Entries, e => e.Category == "Mesh.XdsServer.Auth" && e.Level == LogLevel.Warning);
        Assert.Contains("xDS proxy authentication is OFF (Xds:Auth:Mode=None)", warning.Message);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}
