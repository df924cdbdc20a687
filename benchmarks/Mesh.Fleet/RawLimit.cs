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
/// <para>
/// Its second form, "raw with the proxies' requests" (<see cref="Receive"/>): the client sends what a proxy sends
/// (its connect's requests, then an ACK after every push, the same bytes), and the server reads each whole message
/// and discards it. The difference between Mesh and this is Mesh's own; between this and the first form, what
/// Kestrel, HTTP/2 and the kernel cost to receive the requests.
/// </para>
/// </summary>
internal static class RawLimit
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    // A request the server reads (gRPC has the whole message in its pipe) and discards without copying or parsing it:
    // what is left is the stack's own cost of receiving it.
    private static readonly Marshaller<byte[]> Discarded = new((b, context) => context.Complete(b), _ => []);

    public static readonly Method<byte[], byte[]> Subscribe = new(MethodType.DuplexStreaming, "raw.Fanout", "Subscribe", Bytes, Bytes);

    /// <summary>
    /// The stream of a client that sends requests: the server reads <see cref="RequestsHeader"/> messages, then
    /// writes one of <see cref="FirstSizeHeader"/> bytes, then reads and discards whatever follows.
    /// </summary>
    public static readonly Method<byte[], byte[]> Receive = new(MethodType.DuplexStreaming, "raw.Fanout", "Receive", Discarded, Bytes);

    /// <summary>Messages the server has read on <see cref="Receive"/> streams since it started.</summary>
    public static readonly Method<byte[], byte[]> Received = new(MethodType.Unary, "raw.Fanout", "Received", Bytes, Bytes);

    public const string FirstSizeHeader = "raw-first-size";

    public const string RequestsHeader = "raw-requests";

    public static readonly Method<byte[], byte[]> Push = new(MethodType.Unary, "raw.Fanout", "Push", Bytes, Bytes);

    public static readonly Method<byte[], byte[]> Collect = new(MethodType.Unary, "raw.Fanout", "Collect", Bytes, Bytes);

    /// <summary>Runs the server until killed (the fleet starts it as a separate process: `Mesh.Fleet raw-server URL`).</summary>
    public static async Task ServeAsync(string url) => await Build(url).RunAsync();

    /// <summary>The raw server listening on <paramref name="url"/>'s port on loopback (HTTP/2 without TLS), not started.</summary>
    internal static WebApplication Build(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, new Uri(url).Port), o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = null);
        builder.Services.AddSingleton<FanoutService>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<FanoutService>, FanoutMethods>());
        var app = builder.Build();
        app.MapGrpcService<FanoutService>();
        return app;
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

        private long _received;

        public async Task ReceiveAsync(IAsyncStreamReader<byte[]> requests, IServerStreamWriter<byte[]> responses, ServerCallContext context)
        {
            var headers = context.RequestHeaders;
            var firstSize = int.Parse(headers.GetValue(FirstSizeHeader) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            var expected = int.Parse(headers.GetValue(RequestsHeader) ?? "1", System.Globalization.CultureInfo.InvariantCulture);
            var id = Interlocked.Increment(ref _next);
            try
            {
                // The connect's requests are read before the first response, so the client's "opened" means the
                // server has received them all.
                for (var read = 0; read < expected; read++)
                {
                    if (!await requests.MoveNext(context.CancellationToken))
                    {
                        return;
                    }

                    Interlocked.Increment(ref _received);
                }

                await responses.WriteAsync(new byte[firstSize]);
                _streams[id] = responses;
                while (await requests.MoveNext(context.CancellationToken))
                {
                    Interlocked.Increment(ref _received);
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

        public Task<byte[]> ReceivedAsync(byte[] request, ServerCallContext context) =>
            Task.FromResult(Encoding.ASCII.GetBytes(Interlocked.Read(ref _received).ToString(System.Globalization.CultureInfo.InvariantCulture)));

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
            context.AddDuplexStreamingMethod(Receive, [], (s, r, w, c) => s.ReceiveAsync(r, w, c));
            context.AddUnaryMethod(Received, [], (s, r, c) => s.ReceivedAsync(r, c));
            context.AddUnaryMethod(Push, [], (s, r, c) => s.PushAsync(r, c));
            context.AddUnaryMethod(Collect, [], (s, r, c) => s.CollectAsync(r, c));
        }
    }

    /// <summary>
    /// One raw client stream on its own connection: it asks for its first message and records when pushes arrive;
    /// with <paramref name="requests"/>, it sends a proxy's requests instead: the connect's, then an ACK after each push.
    /// </summary>
    internal sealed class Client(Uri server, ProxyRequests? requests = null) : IDisposable
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
                using var call = requests is null
                    ? invoker.AsyncDuplexStreamingCall(Subscribe, null, new CallOptions(cancellationToken: stop))
                    : invoker.AsyncDuplexStreamingCall(Receive, null, new CallOptions(requests.Headers(firstSize), cancellationToken: stop));
                if (requests is null)
                {
                    await call.RequestStream.WriteAsync(Encoding.ASCII.GetBytes(firstSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
                else
                {
                    foreach (var request in requests.Connect)
                    {
                        await call.RequestStream.WriteAsync(request);
                    }
                }

                var first = true;
                await foreach (var _ in call.ResponseStream.ReadAllAsync(stop))
                {
                    if (first)
                    {
                        first = false;
                        Opened.TrySetResult();
                        continue;
                    }

                    if (requests is not null)
                    {
                        // As a proxy does: the push's ACK is written before the push counts as received.
                        await call.RequestStream.WriteAsync(requests.Ack);
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

        public static async Task<long> ReceivedAsync(Uri server)
        {
            using var channel = GrpcChannel.ForAddress(server);
            var count = await channel.CreateCallInvoker().AsyncUnaryCall(Received, null, default, []);
            return long.Parse(Encoding.ASCII.GetString(count), System.Globalization.CultureInfo.InvariantCulture);
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

/// <summary>
/// What one proxy of a variant sent, as bytes: its connect's requests in order, and the ACK it wrote after a route
/// change; the raw limit's clients send the same (<see cref="RawLimit.Receive"/>).
/// </summary>
internal sealed record ProxyRequests(IReadOnlyList<byte[]> Connect, byte[] Ack)
{
    public long ConnectBytes => Connect.Sum(r => (long)r.Length);

    public Metadata Headers(int firstSize) => new()
    {
        { RawLimit.FirstSizeHeader, firstSize.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        { RawLimit.RequestsHeader, Connect.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    public override string ToString() =>
        $"{Connect.Count} requests at connect ({ConnectBytes / 1024.0:F1} KiB: {string.Join(", ", Connect.Select(r => r.Length))} B), ACK {Ack.Length} B";
}
