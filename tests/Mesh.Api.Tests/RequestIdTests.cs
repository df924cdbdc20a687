using Mesh.Api.Protocol;

namespace Mesh.Api.Tests;

/// <summary>
/// Request ids (<see cref="RequestId.Next"/>: a random prefix per process and a counter) keep the form AWS's ids have,
/// a version-4 UUID in its 36-character text, and are never repeated, also when many threads take them at once.
/// </summary>
public sealed class RequestIdTests
{
    [Fact]
    public void AnId_IsAVersion4Uuid_InTheUsualText()
    {
        for (var i = 0; i < 1000; i++)
        {
            var id = RequestId.Next();
            Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);
            Assert.True(Guid.TryParseExact(id, "D", out _), id);
        }
    }

    [Fact]
    public void Ids_AreNotRepeated_ByThreadsTakingThemAtOnce()
    {
        const int threads = 8, each = 20_000;
        var taken = new string[threads][];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            taken[t] = new string[each];
            for (var i = 0; i < each; i++)
            {
                taken[t][i] = RequestId.Next();
            }
        });

        Assert.Equal(threads * each, taken.SelectMany(ids => ids).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Ids_OfOneProcess_ShareTheirPrefix_AndDifferInTheCounter()
    {
        var first = RequestId.Next();
        var second = RequestId.Next();
        Assert.NotEqual(first, second);
        Assert.Equal(first[..18], second[..18]);
    }
}
