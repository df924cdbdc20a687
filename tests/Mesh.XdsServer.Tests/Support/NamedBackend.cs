using Envoy.Config.Core.V3;
using Envoy.Service.Status.V3;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// A gRPC backend for real xDS clients to reach: it answers CSDS's FetchClientStatus with its own name as node.id.
/// Any unary method would do; this one is already compiled into the test's dependencies.
/// </summary>
public sealed class NamedBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private NamedBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <param name="failEveryOther">When set, every other call fails with UNAVAILABLE, for retry tests.</param>
    /// <param name="delay">How long each answer waits, for timeout tests.</param>
    public static async Task<NamedBackend> StartAsync(string name, bool failEveryOther = false, TimeSpan delay = default)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new Answer(name, failEveryOther, delay));
        var app = builder.Build();
        app.MapGrpcService<Service>();
        await app.StartAsync(TaskTimeouts.Token());
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new NamedBackend(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TaskTimeouts.Token());
        await _app.DisposeAsync();
    }

    private sealed record Answer(string Name, bool FailEveryOther, TimeSpan Delay)
    {
        private int calls;

        public bool NextFails() => FailEveryOther && Interlocked.Increment(ref calls) % 2 == 1;
    }

    private sealed class Service(Answer answer) : ClientStatusDiscoveryService.ClientStatusDiscoveryServiceBase
    {
        public override async Task<ClientStatusResponse> FetchClientStatus(ClientStatusRequest request, ServerCallContext context)
        {
            if (answer.NextFails())
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "failing every other call on purpose"));
            }

            if (answer.Delay > TimeSpan.Zero)
            {
                await Task.Delay(answer.Delay, context.CancellationToken);
            }

            return new ClientStatusResponse { Config = { new ClientConfig { Node = new Node { Id = answer.Name } } } };
        }
    }
}
