using System.Runtime.InteropServices;

namespace Mesh.Observability;

/// <summary>
/// How many file descriptors this process has open, on Linux. Since Linux 6.2 the size the kernel reports for the
/// directory <c>/proc/self/fd</c> is that count: one <c>statx</c>, whatever the process holds. Listing the directory,
/// as .NET's <see cref="System.Diagnostics.Process.HandleCount"/> does (with a <c>stat</c> of every entry to skip
/// directories), costs a kernel lookup per descriptor: an xDS server holds one socket per proxy, 10,000 and more
/// (docs/benchmarks.md, issue13bn). Older kernels report a size of 0; there the entries are counted, as before.
/// </summary>
internal static class OpenFileDescriptors
{
    private const string FdDirectory = "/proc/self/fd";

    /// <summary>The open descriptors, from the directory's size where the kernel gives it, else counted.</summary>
    public static int Count() => FromDirectorySize() is > 0 and var count ? (int)count : Listed();

    /// <summary>The directory's size (the count, since Linux 6.2; 0 before), or null if it could not be read.</summary>
    internal static long? FromDirectorySize()
    {
        try
        {
            return Statx(AtCurrentDirectory, DirectoryPath, 0, StatxSize, out var status) == 0 && (status.Mask & StatxSize) != 0 ? (long)status.Size : null;
        }
        catch (EntryPointNotFoundException)
        {
            // A C library without statx (glibc before 2.28): count instead.
            return null;
        }
    }

    /// <summary>
    /// The descriptors counted by listing the directory, as .NET's <c>Process.HandleCount</c> counts them: an entry
    /// that links to a directory is skipped, which skips the listing's own descriptor.
    /// </summary>
    internal static int Listed() => Directory.GetFiles(FdDirectory).Length;

    private const int AtCurrentDirectory = -100;
    private const uint StatxSize = 0x200;

    /// <summary>The path as the C string statx takes, made once.</summary>
    private static readonly byte[] DirectoryPath = System.Text.Encoding.ASCII.GetBytes(FdDirectory + "\0");

    [DllImport("libc", EntryPoint = "statx")]
    private static extern int Statx(int directoryDescriptor, [In] byte[] path, int flags, uint mask, out StatxBuffer status);

    /// <summary>Linux's <c>struct statx</c> (the same layout on every architecture), of which only the mask and size are read.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(0)]
        public uint Mask;

        [FieldOffset(40)]
        public ulong Size;
    }
}
