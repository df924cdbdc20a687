using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Mesh.Fleet;

/// <summary>
/// The raw limit: a plain Kestrel gRPC server with one bidirectional method of raw bytes. Each stream gets one
/// message of the size asked for when it opens (the bytes a Mesh proxy receives at connect) and then waits; a
/// unary Push writes one message of a given size to every open stream, as a route change does.
/// </summary>
internal static class RawLimit
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    public static readonly Method<byte[], byte[]> Subscribe = new(MethodType.DuplexStreaming, "raw.Fanout", "Subscribe", Bytes, Bytes);

    public static readonly Method<byte[], byte[]> Push = new(MethodType.Unary, "raw.Fanout", "Push", Bytes, Bytes);

    public static readonly Method<byte[], byte[]> Collect = new(MethodType.Unary, "raw.Fanout", "Collect", Bytes, Bytes);

    /// <summary>Runs the server until killed (the fleet starts it as a separate process: `Mesh.Fleet raw-server URL`).</summary>
    public static async Task ServeAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, new Uri(url).Port), o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = null);
        builder.Services.AddSingleton<FanoutService>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<FanoutService>, FanoutMethods>());
        var app = builder.Build();
        app.MapGrpcService<FanoutService>();
        await app.RunAsync();
    }

    private static int SizeOf(byte[] request) => int.Parse(Encoding.ASCII.GetString(request), System.Globalization.CultureInfo.InvariantCulture);

    internal sealed class FanoutService
    {
        private readonly ConcurrentDictionary<long, IServerStreamWriter<byte[]>> _streams = new();
        private long _next;

        public async Task SubscribeAsync(IAsyncStreamReader<byte[]> requests, IServerStreamWriter<byte[]> responses, ServerCallContext context)
        {
            if (!await requests.MoveNext(context.CancellationToken))
            {
                return;
            }

            await responses.WriteAsync(new byte[SizeOf(requests.Current)]);
            var id = Interlocked.Increment(ref _next);
            _streams[id] = responses;
            try
            {
                while (await requests.MoveNext(context.CancellationToken))
                {
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (IOException)
            {
            }
            finally
            {
                _streams.TryRemove(id, out _);
            }
        }

        public async Task<byte[]> PushAsync(byte[] request, ServerCallContext context)
        {
            var payload = new byte[SizeOf(request)];
            await Task.WhenAll(_streams.Values.Select(async s =>
            {
                try
                {
                    await s.WriteAsync(payload);
                }
                catch (Exception)
                {
                    // a stream closing under the push is not the push's failure
                }
            }));
            return [];
        }

        public Task<byte[]> CollectAsync(byte[] request, ServerCallContext context)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect();
            return Task.FromResult(Encoding.ASCII.GetBytes(GC.GetGCMemoryInfo().HeapSizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    private sealed class FanoutMethods : IServiceMethodProvider<FanoutService>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<FanoutService> context)
        {
            context.AddDuplexStreamingMethod(Subscribe, [], (s, r, w, c) => s.SubscribeAsync(r, w, c));
            context.AddUnaryMethod(Push, [], (s, r, c) => s.PushAsync(r, c));
            context.AddUnaryMethod(Collect, [], (s, r, c) => s.CollectAsync(r, c));
        }
    }

    /// <summary>One raw client stream on its own connection: it asks for its first message and records when pushes arrive.</summary>
    internal sealed class Client(Uri server) : IDisposable
    {
        private readonly GrpcChannel _channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
            MaxReceiveMessageSize = null,
        });

        public TaskCompletionSource Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Pushes => Volatile.Read(ref _pushes);

        private int _pushes;

        public long LastPushAt => Volatile.Read(ref _lastPushAt);

        private long _lastPushAt;

        public async Task RunAsync(int firstSize, CancellationToken stop)
        {
            try
            {
                var invoker = _channel.CreateCallInvoker();
                using var call = invoker.AsyncDuplexStreamingCall(Subscribe, null, new CallOptions(cancellationToken: stop));
                await call.RequestStream.WriteAsync(Encoding.ASCII.GetBytes(firstSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                var first = true;
                await foreach (var _ in call.ResponseStream.ReadAllAsync(stop))
                {
                    if (first)
                    {
                        first = false;
                        Opened.TrySetResult();
                        continue;
                    }

                    Volatile.Write(ref _lastPushAt, Stopwatch.GetTimestamp());
                    Interlocked.Increment(ref _pushes);
                }
            }
            catch (Exception e) when (stop.IsCancellationRequested || e is OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                Opened.TrySetException(e);
            }
        }

        public static async Task PushAsync(Uri server, int size)
        {
            using var channel = GrpcChannel.ForAddress(server);
            await channel.CreateCallInvoker().AsyncUnaryCall(Push, null, default, Encoding.ASCII.GetBytes(size.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        public static async Task<long> CollectAsync(Uri server)
        {
            using var channel = GrpcChannel.ForAddress(server);
            var heap = await channel.CreateCallInvoker().AsyncUnaryCall(Collect, null, default, []);
            return long.Parse(Encoding.ASCII.GetString(heap), System.Globalization.CultureInfo.InvariantCulture);
        }

        public void Dispose() => _channel.Dispose();
    }
}
