using Envoy.Config.Core.V3;

namespace Mesh.Fleet;

/// <summary>
/// <c>--write-node</c>: the node the fleet's first proxy sends, in the bytes the fleet sends it in
/// (<see cref="NodeBytes.Serialised"/>), written to a file for a tool that sends it itself
/// (<c>benchmarks/h2-frames/replay.py</c>). That tool used to build the node from its own copy of
/// <see cref="RealisticNode"/>'s tables, which had to be changed with them; now the tables are here only.
/// </summary>
internal static class NodeFile
{
    /// <summary>The mesh named in the written node's id (a run's own mesh is named <c>fleet-MMddHHmmss</c> when it is made).</summary>
    public const string Mesh = "fleet";

    /// <summary>Writes proxy 0's node (client-0's; with <paramref name="distinctNodes"/>, its pod's own) to <paramref name="path"/>.</summary>
    public static Node Write(string path, bool distinctNodes)
    {
        var node = RealisticNode.OfClient(Mesh, "client-0", pod: distinctNodes ? 0 : null);
        File.WriteAllBytes(path, NodeBytes.Serialised(node));
        return node;
    }
}
