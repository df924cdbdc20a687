using System.Buffers;
using System.Diagnostics;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.XdsServer.Protocol;

namespace Mesh.Benchmarks;

/// <summary>
/// <c>--loop-ack-parse &lt;iterations&gt;</c>: the xDS server's reading of one SotW ACK that carries the fleet's 49 KB
/// node (an Envoy without <c>set_node_on_first_message_only</c>), through the marshaller the server binds, from a
/// payload split into 4 KB segments as Kestrel's request pipe hands it over, as a stream's first request and as its
/// later ones (which the stream's node memo answers). Prints CPU and bytes allocated per ACK, so the per-ACK cost
/// of the change phase can be compared before and after a change of the read path.
/// </summary>
internal static class AckParseLoop
{
    public static void Run(int iterations)
    {
        var interner = new NodeInterner();
        var node = Mesh.Fleet.RealisticNode.Build("mesh/fleet/virtualNode/client-7", "client-7");
        var ack = new DiscoveryRequest
        {
            Node = node,
            TypeUrl = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
            VersionInfo = "3f1c2a9b8d7e6f50",
            ResponseNonce = "42",
        };
        ack.ResourceNames.Add("ingress");
        var payload = Segmented(ack.ToByteArray(), 4096);
        var marshaller = NodeSlicingMarshaller.ForSotw(interner);
        var held = marshaller.ContextualDeserializer(new Context(payload)); // the stream's node, as the first request interned it

        // gRPC reads all of a call's requests through one context, and the marshaller remembers a stream's node per
        // context: a new context each time is each stream's first request, one context its later ones.
        var stream = new Context(payload);
        Measure("a stream's first request", () => new Context(payload));
        Measure("a stream's later request", () => stream);

        void Measure(string label, Func<Context> context)
        {
            for (var i = 0; i < iterations / 10; i++)
            {
                marshaller.ContextualDeserializer(context()); // not counted: tier-up
            }

            for (var round = 0; round < 3; round++)
            {
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < iterations; i++)
                {
                    var parsed = marshaller.ContextualDeserializer(context());
                    if (!ReferenceEquals(parsed.Node, held.Node))
                    {
                        throw new InvalidOperationException("the ACK's node was not the interned one");
                    }
                }

                cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                Console.WriteLine($"{label}, {payload.Length} bytes in {CountSegments(payload)} segments: {watch.Elapsed.TotalMicroseconds / iterations:F2} µs wall, " +
                    $"{cpu.TotalMicroseconds / iterations:F2} µs CPU, {(double)allocated / iterations:F0} bytes allocated per ACK");
            }
        }
    }

    private static int CountSegments(ReadOnlySequence<byte> sequence)
    {
        var n = 0;
        foreach (var _ in sequence)
        {
            n++;
        }

        return n;
    }

    /// <summary><paramref name="bytes"/> as a sequence of segments of <paramref name="size"/> bytes.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var chunk = bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset));
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private sealed class Context(ReadOnlySequence<byte> payload) : DeserializationContext
    {
        public override int PayloadLength => (int)payload.Length;

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => payload;

        public override byte[] PayloadAsNewBuffer() => payload.ToArray();
    }
}
