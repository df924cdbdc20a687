using System.Collections.Concurrent;
using Mesh.Model.Resources;

namespace Mesh.Api.Resources;

/// <summary>
/// Describes with <c>Mesh:ReadCache</c> that miss the same resource at once share one read of PostgreSQL, when that
/// read started after they did: after a write drops a kept answer, the clients that describe that resource next all
/// miss together, and each read its row (docs/benchmarks.md, issue14bg: 2.5–2.9 reads per update with 8 readers).
/// </summary>
/// <remarks>
/// A Describe takes a ticket from this process's clock when it arrives (<see cref="Arrive"/>), before its barrier; a
/// read takes one before its statement is sent. A Describe joins a read in flight only if the read's ticket is the
/// later one: then the read's statement was sent after the Describe arrived, so every write answered before the
/// Describe began committed before the statement's snapshot, and the answer is as linearizable as the Describe's own
/// read would be. A read that started earlier may predate such a write, so a Describe that finds one starts its own,
/// which later arrivals join instead. A shared read that fails or is abandoned (its own caller answered at its
/// deadline, and the read cancelled) is not anyone else's answer: each joiner then reads for itself, and meets the
/// failure itself if it is the database's.
/// </remarks>
public sealed class SharedMissReads
{
    private readonly ConcurrentDictionary<(string Account, ResourceId Id), Flight> flights = new();
    private long clock;

    /// <summary>How many reads are in flight (for tests: 0 once every Describe has been answered).</summary>
    public int InFlight => flights.Count;

    /// <summary>The ticket of a Describe that arrives now: taken before its barrier, and passed to <see cref="ReadAsync"/>.</summary>
    public long Arrive() => Interlocked.Increment(ref clock);

    /// <summary>
    /// The answer of a read of <paramref name="id"/> that started after <paramref name="arrival"/>: one in flight, or
    /// else <paramref name="read"/>'s own. <c>Shared</c> says which, as only a Describe's own read may be kept.
    /// </summary>
    public async Task<(byte[]? Answer, bool Shared)> ReadAsync(string account, ResourceId id, long arrival,
        Func<string, ResourceId, CancellationToken, Task<byte[]?>> read, CancellationToken ct)
    {
        var key = (account, id);
        Flight? mine = null;
        while (true)
        {
            var found = flights.TryGetValue(key, out var flight);
            if (found && flight!.Started > arrival)
            {
                var outcome = await flight.Outcome.Task.WaitAsync(ct);
                // A shared read that failed: this Describe's own read, shared with no one (a flight published now
                // could not be joined by Describes that arrived before its ticket anyway).
                return outcome.Failed ? (await read(account, id, ct), false) : (outcome.Answer, true);
            }

            // None to join: this one's read, in place of an earlier one (later arrivals join this one instead).
            mine ??= new Flight(Interlocked.Increment(ref clock));
            if (found ? flights.TryUpdate(key, mine, flight!) : flights.TryAdd(key, mine))
            {
                break;
            }
        }

        try
        {
            var answer = await read(account, id, ct);
            mine.Outcome.SetResult(new Outcome(answer, Failed: false));
            return (answer, false);
        }
        catch (Exception)
        {
            mine.Outcome.SetResult(new Outcome(null, Failed: true));
            throw;
        }
        finally
        {
            flights.TryRemove(KeyValuePair.Create(key, mine));
        }
    }

    /// <summary>A read in flight: its ticket, and how it ended (a failure is an outcome, not an exception no joiner may observe).</summary>
    private sealed class Flight(long started)
    {
        public long Started { get; } = started;

        public TaskCompletionSource<Outcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly record struct Outcome(byte[]? Answer, bool Failed);
}
