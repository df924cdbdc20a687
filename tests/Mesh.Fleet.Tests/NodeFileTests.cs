using System.Buffers.Binary;
using System.Diagnostics;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;

namespace Mesh.Fleet.Tests;

/// <summary>
/// <c>Mesh.Fleet --write-node</c> writes the node the fleet's first proxy sends, and
/// <c>benchmarks/h2-frames/replay.py</c> sends it instead of building its own copy: the file must be that node in the
/// bytes the fleet sends it in, and the script's request must carry it as the fleet's request does.
/// </summary>
public sealed class NodeFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mesh-node-file-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("off", null)]
    [InlineData("on", 0)]
    public void The_Written_Node_Is_The_Node_The_First_Proxy_Sends_In_The_Bytes_It_Sends(string distinct, int? pod)
    {
        var path = Path.Combine(_dir, "node.bin");
        var options = FleetOptions.Parse(["--write-node", path, "--distinct-nodes", distinct]);

        var written = NodeFile.Write(options.WriteNode!, options.DistinctNodes);

        var expected = RealisticNode.Build("mesh/fleet/virtualNode/client-0", "client-0", pod: pod);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(expected, Node.Parser.ParseFrom(bytes));
        Assert.Equal(expected, written);
        Assert.Equal(390, expected.Extensions.Count);

        // Byte for byte what the fleet puts after the node's tag and length in every SotW request (NodeBytesTests:
        // that field is what the server receives).
        var field = NodeBytes.FieldOf(written, DiscoveryRequest.NodeFieldNumber);
        Assert.Equal(CodedOutputStream.ComputeTagSize(DiscoveryRequest.NodeFieldNumber) + CodedOutputStream.ComputeLengthSize(bytes.Length) + bytes.Length, field.Length);
        Assert.Equal(bytes, field[^bytes.Length..]);
    }

    /// <summary>The request replay.py sends, written by its <c>--write-request</c>: the fleet's ACK, node included.</summary>
    [Fact]
    public async Task Replay_Sends_The_Written_Node_In_The_Request_The_Fleet_Sends()
    {
        var nodePath = Path.Combine(_dir, "node.bin");
        var requestPath = Path.Combine(_dir, "request.bin");
        var node = NodeFile.Write(nodePath, distinctNodes: false);

        var start = new ProcessStartInfo("python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { Path.Combine(RepositoryRoot(), "benchmarks", "h2-frames", "replay.py"), "--node", nodePath, "--write-request", requestPath })
        {
            start.ArgumentList.Add(arg);
        }

        using var replay = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var errors = replay.StandardError.ReadToEndAsync();
        await replay.StandardOutput.ReadToEndAsync();
        await replay.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(replay.ExitCode == 0, $"replay.py exited with {replay.ExitCode}: {await errors}");

        // One gRPC message: not compressed, its length, the DiscoveryRequest.
        var message = File.ReadAllBytes(requestPath);
        Assert.Equal(0, message[0]);
        Assert.Equal(message.Length - 5, (int)BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(1, 4)));
        var expected = new DiscoveryRequest { VersionInfo = "1", Node = node, TypeUrl = TypeUrls.Cluster, ResponseNonce = "1" };
        var sent = DiscoveryRequest.Parser.ParseFrom(message.AsSpan(5));
        Assert.Equal(expected, sent);
        Assert.Equal(expected.CalculateSize(), message.Length - 5);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Mesh.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Mesh.sln was not found above {AppContext.BaseDirectory}.");
    }
}
