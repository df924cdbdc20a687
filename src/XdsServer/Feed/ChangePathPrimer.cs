using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// Runs once at start, after the first load, the database statements a route change runs and the full load did
/// not, so that the first change after a start costs what later ones cost (<see cref="PostgresChangeFeed"/> calls
/// it before it reports itself loaded, so before <c>/readyz</c> lets proxies in).
/// </summary>
public interface IChangePathPrimer
{
    /// <param name="lastSeq">The change log's highest sequence number at the load (0 when the log is empty).</param>
    Task PrimeAsync(long lastSeq, CancellationToken cancellationToken);
}

/// <summary>
/// Reads the change log's last row (a catch-up with nothing new materialises no row, so neither the poll nor the
/// full load compiles that) and runs a mesh reload's transaction with its array parameter, reading no row
/// (<see cref="MeshRowReader.PrimeAsync"/>). The in-memory warm-up cannot reach these without the database; on
/// issue 13's fleet the first change after a start compiled about 500 more methods than a later one, nearly all
/// Npgsql's array type mappings. It reads one change-log row and no mesh row and changes nothing: the feed's
/// change-log position, the loader and the cache never see what it read.
/// </summary>
public sealed class DatabaseChangePathPrimer(IDbContextFactory<MeshDbContext> contexts) : IChangePathPrimer
{
    public async Task PrimeAsync(long lastSeq, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (lastSeq > 0)
        {
            _ = await new ChangeLogReader(db).ReadAfterAsync(lastSeq - 1, 1, cancellationToken);
        }

        await MeshRowReader.PrimeAsync(db, cancellationToken);
    }
}
