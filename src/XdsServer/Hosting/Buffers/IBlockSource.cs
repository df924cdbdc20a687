namespace Mesh.XdsServer.Hosting.Buffers;

/// <summary>Where a <see cref="BlockPool"/>'s blocks come from.</summary>
public interface IBlockSource
{
    IBlockMemory Allocate(int size);
}

/// <summary>One block's memory, as Kestrel's pipes use it, and how to give it back for good.</summary>
public interface IBlockMemory
{
    Memory<byte> Memory { get; }

    void Free();
}
