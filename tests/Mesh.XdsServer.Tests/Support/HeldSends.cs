using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// A slow network, made deterministic: while held, no connection of the test host sends anything, and what Kestrel
/// writes meanwhile queues between Kestrel and the socket; on <see cref="Release"/> it all goes out at once, in order,
/// as from a machine too busy to run the socket's send loop for a while. Each connection's frames are recorded as
/// they are sent. Kestrel's flushes into the queue wait where the socket transport's would: once the host's
/// <see cref="SocketTransportOptions.MaxWriteBufferSize"/> is unsent (never, when it is null), as on a socket whose
/// peer or network does not take the bytes.
/// </summary>
public sealed class HeldSends
{
    private readonly object _sync = new();
    private TaskCompletionSource? _gate;

    /// <summary>The HTTP/2 frames each connection sent, in order ("HEADERS END_STREAM 1"), and "FIN" at its end.</summary>
    public ConcurrentBag<List<string>> Frames { get; } = [];

    /// <summary>Bytes Kestrel has written to each connection that are not sent yet, one entry per connection.</summary>
    public IReadOnlyList<long> Unsent => _transports.Select(t => t.Unsent).ToList();

    private readonly ConcurrentBag<HeldTransport> _transports = [];

    /// <summary>Registers the hold as a connection middleware on every Kestrel endpoint of the host.</summary>
    public void AddTo(IServiceCollection services) =>
        services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => async connection =>
        {
            var socket = connection.Transport;
            var frames = new List<string>();
            Frames.Add(frames);
            var unsentLimit = listen.ApplicationServices.GetRequiredService<IOptions<SocketTransportOptions>>().Value.MaxWriteBufferSize ?? 0;
            var held = new HeldTransport(socket, this, frames, unsentLimit);
            _transports.Add(held);
            connection.Transport = held;
            try
            {
                await next(connection);
            }
            finally
            {
                await held.DrainAsync();
                connection.Transport = socket;
            }
        })));

    public void Hold()
    {
        lock (_sync)
        {
            _gate ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Release()
    {
        TaskCompletionSource? gate;
        lock (_sync)
        {
            gate = _gate;
            _gate = null;
        }

        gate?.TrySetResult();
    }

    private Task Gate()
    {
        lock (_sync)
        {
            return _gate?.Task ?? Task.CompletedTask;
        }
    }

    /// <summary>
    /// Kestrel writes into a pipe whose flushes wait, as the socket transport's output does, while
    /// <c>unsentLimit</c> bytes or more are unsent (0: never); a pump sends what is in it to the socket, except while held.
    /// </summary>
    private sealed class HeldTransport : IDuplexPipe
    {
        private readonly Pipe _pending;
        private readonly CountingWriter _output;
        private readonly Task _pump;
        private long _sent;

        private readonly List<string> _frames;
        private byte[] _unparsed = [];

        public HeldTransport(IDuplexPipe inner, HeldSends hold, List<string> frames, long unsentLimit)
        {
            // The socket transport's own output pipe: paused at MaxWriteBufferSize, resumed at half of it.
            _pending = new Pipe(new PipeOptions(pauseWriterThreshold: unsentLimit, resumeWriterThreshold: unsentLimit / 2, useSynchronizationContext: false));
            _output = new CountingWriter(_pending.Writer);
            _frames = frames;
            Input = inner.Input;
            _pump = PumpAsync(inner.Output, hold);
        }

        public PipeReader Input { get; }

        public PipeWriter Output => _output;

        public long Unsent => _output.Written - Interlocked.Read(ref _sent);

        /// <summary>Sends what Kestrel wrote before it finished with the connection, once the hold allows.</summary>
        public async Task DrainAsync()
        {
            await _pending.Writer.CompleteAsync();
            await _pump;
        }

        private async Task PumpAsync(PipeWriter socket, HeldSends hold)
        {
            try
            {
                while (true)
                {
                    var read = await _pending.Reader.ReadAsync();
                    await hold.Gate();
                    foreach (var segment in read.Buffer)
                    {
                        socket.Write(segment.Span);
                    }

                    Record(read.Buffer.ToArray());
                    Interlocked.Add(ref _sent, read.Buffer.Length);

                    _pending.Reader.AdvanceTo(read.Buffer.End);
                    var flushed = await socket.FlushAsync();
                    if (read.IsCompleted || flushed.IsCompleted)
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or ConnectionAbortedException)
            {
                // The socket was closed under the pump (the connection aborted): nothing more can be sent.
            }
            finally
            {
                lock (_frames)
                {
                    _frames.Add("FIN");
                }

                await _pending.Reader.CompleteAsync();
            }
        }

        private void Record(byte[] sent)
        {
            var bytes = _unparsed.Concat(sent).ToArray();
            var at = 0;
            while (bytes.Length - at >= 9)
            {
                var length = (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];
                if (bytes.Length - at < 9 + length)
                {
                    break;
                }

                var type = bytes[at + 3] switch
                {
                    0 => "DATA", 1 => "HEADERS", 3 => "RST_STREAM", 4 => "SETTINGS", 6 => "PING", 7 => "GOAWAY", 8 => "WINDOW_UPDATE",
                    var other => $"TYPE{other}",
                };
                var endStream = (bytes[at + 3] is 0 or 1) && (bytes[at + 4] & 1) != 0 ? " END_STREAM" : "";
                var stream = ((bytes[at + 5] & 0x7f) << 24) | (bytes[at + 6] << 16) | (bytes[at + 7] << 8) | bytes[at + 8];
                lock (_frames)
                {
                    _frames.Add($"{type}{endStream} {stream}");
                }

                at += 9 + length;
            }

            _unparsed = bytes[at..];
        }
    }
    /// <summary>Kestrel's side of the queue, counting what it writes.</summary>
    private sealed class CountingWriter(PipeWriter inner) : PipeWriter
    {
        private long _written;

        public long Written => Interlocked.Read(ref _written);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes)
        {
            inner.Advance(bytes);
            Interlocked.Add(ref _written, bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }
}
