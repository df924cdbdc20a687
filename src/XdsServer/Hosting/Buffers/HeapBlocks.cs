namespace Mesh.XdsServer.Hosting.Buffers;

/// <summary>
/// Blocks that are ordinary byte arrays on the small object heap: not pinned while pooled (the socket pins a block
/// only for the send or receive that uses it), and counted in the budget of the generation they live in rather
/// than the pinned heap's, whose budget is sized by that heap's own small size. Array-backed, as Kestrel's socket
/// sends of several blocks at once require (they hand the socket an <see cref="ArraySegment{T}"/> list).
/// </summary>
public sealed class HeapBlocks : IBlockSource
{
    public IBlockMemory Allocate(int size) => new Block(GC.AllocateUninitializedArray<byte>(size));

    private sealed class Block(byte[] array) : IBlockMemory
    {
        public Memory<byte> Memory { get; } = array;

        // The array becomes garbage with the block; nothing to free by hand.
        public void Free()
        {
        }
    }
}
