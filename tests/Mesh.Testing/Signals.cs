using System.Runtime.InteropServices;

namespace Mesh.Testing;

/// <summary>POSIX signals, which .NET only sends as SIGKILL (Process.Kill): enough to freeze and thaw a server.</summary>
internal static class Signals
{
    // Linux numbering (x86-64 and arm64 alike).
    public const int Continue = 18;
    public const int Stop = 19;

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0 && Marshal.GetLastPInvokeError() != 3 /* ESRCH: already gone */)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
