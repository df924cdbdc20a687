using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Security;

/// <summary>
/// Whether a host can serve from the database: reachable, migrated, and (when it checks signatures) holding access
/// keys the configured master key opens. Both hosts refuse a misconfigured database at start, and the API's
/// <c>/readyz</c> reports any problem, with the same one-line message.
/// </summary>
/// <param name="keys">The access keys to check the master key against; null when the host reads no keys.</param>
public sealed class DatabaseSetup(IDbContextFactory<MeshDbContext> contexts, AccessKeyStore? keys)
{
    public async Task<SetupState> CheckAsync(CancellationToken ct)
    {
        try
        {
            // One catalogue query: cheap enough for every readiness probe, and it sees a schema changed under a running host.
            await using var db = await contexts.CreateDbContextAsync(ct);
            var missing = await SchemaCheck.MissingAsync(db, ct);
            if (missing.Count > 0)
            {
                return SetupState.Misconfigured(SchemaCheck.Describe(missing));
            }

            if (keys is not null)
            {
                // Remembered once it matched, so probes after that cost nothing here.
                await keys.VerifyMasterKeyAsync(ct);
            }

            return SetupState.Ready;
        }
        catch (MasterKeyMismatchException e)
        {
            return SetupState.Misconfigured(e.Message);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidCatalogName)
        {
            return SetupState.Misconfigured(
                $"the database named in ConnectionStrings:Mesh does not exist ({e.MessageText}); create it, then {SchemaCheck.Remedy}.");
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            return SetupState.Misconfigured($"PostgreSQL refused the user or password in ConnectionStrings:Mesh ({e.MessageText}).");
        }
        catch (NpgsqlException e)
        {
            return SetupState.Unreachable($"PostgreSQL does not answer ({e.Message}).");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return SetupState.Unreachable("PostgreSQL did not answer in time.");
        }
    }
}
