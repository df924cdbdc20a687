using System.Buffers.Text;
using Microsoft.Win32.SafeHandles;

namespace Mesh.Observability;

/// <summary>
/// What one read of Linux's <c>/proc/self/stat</c> says of this process: its resident and virtual sizes and its thread
/// count. The kernel keeps all three per process, so the file costs the same whatever the process holds; .NET's
/// <see cref="System.Diagnostics.Process"/> instead builds, for each of these properties, a snapshot that also reads
/// every thread's <c>/proc/self/task/&lt;tid&gt;/stat</c> (docs/benchmarks.md, issue13bn).
/// </summary>
internal readonly record struct ProcSelfStat(long ResidentBytes, long VirtualBytes, int Threads)
{
    private const string Path = "/proc/self/stat";

    // Fields counted from the one after the command's closing parenthesis (the state, field 3 in proc(5)), because the
    // command (field 2) may itself hold spaces and parentheses.
    private const int ThreadsField = 20 - 3;
    private const int VirtualBytesField = 23 - 3;
    private const int ResidentPagesField = 24 - 3;

    /// <summary>The file's line is about 300 bytes: pid, a command of at most 16 bytes and 50 numbers.</summary>
    private const int BufferBytes = 1024;

    /// <summary>Reads the file once (no allocation: the line is read into the stack).</summary>
    public static ProcSelfStat Read()
    {
        Span<byte> buffer = stackalloc byte[BufferBytes];
        int length;
        using (SafeFileHandle file = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            length = RandomAccess.Read(file, buffer, 0);
        }

        return Parse(buffer[..length], Environment.SystemPageSize);
    }

    /// <summary>Parses the file's line; the resident size is given in pages of <paramref name="pageBytes"/>.</summary>
    public static ProcSelfStat Parse(ReadOnlySpan<byte> line, int pageBytes)
    {
        var command = line.LastIndexOf((byte)')');
        if (command < 0)
        {
            throw new FormatException($"{Path} has no command in parentheses: {System.Text.Encoding.ASCII.GetString(line)}");
        }

        var rest = line[(command + 1)..];
        long threads = 0, virtualBytes = 0, residentPages = 0;
        var field = 0;
        foreach (var range in rest.Split((byte)' '))
        {
            var text = rest[range];
            if (text.IsEmpty)
            {
                continue;
            }

            switch (field++)
            {
                case ThreadsField: threads = Number(text); break;
                case VirtualBytesField: virtualBytes = Number(text); break;
                case ResidentPagesField: residentPages = Number(text); break;
                case > ResidentPagesField: return new ProcSelfStat(residentPages * pageBytes, virtualBytes, (int)threads);
            }
        }

        if (field <= ResidentPagesField)
        {
            throw new FormatException($"{Path} ends after {field} fields past the command; the resident size is field {ResidentPagesField + 3}");
        }

        return new ProcSelfStat(residentPages * pageBytes, virtualBytes, (int)threads);

        static long Number(ReadOnlySpan<byte> text) =>
            Utf8Parser.TryParse(text, out long value, out var used) && used == text.Length
                ? value
                : throw new FormatException($"{Path} has a field that is not a number: {System.Text.Encoding.ASCII.GetString(text)}");
    }
}
