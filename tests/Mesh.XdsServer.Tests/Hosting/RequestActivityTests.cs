using System.Collections.Concurrent;
using System.Diagnostics;
using Mesh.Testing;
using Mesh.XdsServer.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// A request (an xDS stream is one, for its whole life) gets no ASP.NET Core <c>Activity</c> while nothing traces, even
/// with a log provider on; with an OTLP endpoint it gets one and HTTP requests are still exported as spans.
/// Runs alone: hosting creates a request's activity whenever any <c>ActivityListener</c> in the process listens, and
/// those are process-wide, so a tracing host of another test (<see cref="TracingTests"/>) running meanwhile would give
/// this class's untraced host activities too.
/// </summary>
[Collection(ActivityListenersCollection.Name)]
public sealed class RequestActivityTests
{
    [Fact]
    public async Task Without_Tracing_A_Request_Carries_No_Activity_Even_With_Logging_On()
    {
        var seen = new RequestActivities();
        await using var host = await XdsTestHost.StartAsync(services: s => seen.AddTo(s));

        (await host.Admin.GetAsync("/healthz", TaskTimeouts.Token())).EnsureSuccessStatusCode();

        var request = Assert.Single(seen.Requests, r => r.Path == "/healthz");
        Assert.False(request.HadActivity);
    }

    [Fact]
    public async Task With_An_Otlp_Endpoint_A_Request_Has_Its_Activity_And_Is_Exported()
    {
        await using var receiver = await OtlpReceiver.StartAsync(TaskTimeouts.Token());
        var seen = new RequestActivities();
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?>(receiver.Settings), services: s => seen.AddTo(s));

        (await host.Admin.GetAsync("/healthz", TaskTimeouts.Token())).EnsureSuccessStatusCode();

        Assert.True(Assert.Single(seen.Requests, r => r.Path == "/healthz").HadActivity);
        await Eventually.TrueAsync(() => receiver.Exported("/healthz", "mesh-xds"));
    }

    /// <summary>Records, first thing in the pipeline, whether hosting gave each request an activity; and turns logging on.</summary>
    private sealed class RequestActivities : IStartupFilter
    {
        public ConcurrentQueue<(string Path, bool HadActivity)> Requests { get; } = new();

        public void AddTo(IServiceCollection services)
        {
            services.AddSingleton<IStartupFilter>(this);
            services.AddSingleton<ILoggerProvider>(new EnabledLoggerProvider());
        }

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, call) =>
            {
                var activity = context.Features.Get<IHttpActivityFeature>()?.Activity ?? Activity.Current;
                Requests.Enqueue((context.Request.Path.Value ?? "", activity is not null));
                await call(context);
            });
            next(app);
        };
    }

    /// <summary>A provider whose loggers are on at every level, as the console logger is for what the filters let through.</summary>
    private sealed class EnabledLoggerProvider : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Enabled();

        public void Dispose()
        {
        }

        private sealed class Enabled : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
            }
        }
    }
}

/// <summary>Runs alone: its tests depend on which activity listeners the whole process has.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ActivityListenersCollection
{
    public const string Name = "Process-wide activity listeners";
}
