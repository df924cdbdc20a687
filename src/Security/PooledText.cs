using System.Buffers;

namespace Mesh.Security;

/// <summary>
/// Text built in a pooled char array. The verifier hashes the canonical request and the string to sign from it
/// without making either a string: on every API call they were two strings, a builder's chunks and two byte
/// copies that lived for a few microseconds.
/// </summary>
internal ref struct PooledText
{
    private char[] chars;
    private int length;

    public PooledText(int capacity) => chars = ArrayPool<char>.Shared.Rent(capacity);

    public readonly ReadOnlySpan<char> Span => chars.AsSpan(0, length);

    public void Append(char c)
    {
        if (length == chars.Length)
        {
            Grow(1);
        }

        chars[length++] = c;
    }

    public void Append(scoped ReadOnlySpan<char> text)
    {
        if (length + text.Length > chars.Length)
        {
            Grow(text.Length);
        }

        text.CopyTo(chars.AsSpan(length));
        length += text.Length;
    }

    public void Clear() => length = 0;

    public override readonly string ToString() => new(Span);

    public void Dispose()
    {
        ArrayPool<char>.Shared.Return(chars);
        chars = [];
        length = 0;
    }

    private void Grow(int more)
    {
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(chars.Length * 2, length + more));
        Span.CopyTo(bigger);
        ArrayPool<char>.Shared.Return(chars);
        chars = bigger;
    }
}
