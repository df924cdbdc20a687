using System.Linq.Expressions;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Keyset paging for Cloud Map lists, with the App Mesh API's signed tokens. A token names the last key returned and
/// the list (operation, account and filters) it belongs to, so a page never repeats or skips an item because of
/// writes in between.
/// </summary>
/// <remarks>
/// The database does the paging: rows come ordered by their key (compared byte by byte, <c>COLLATE "C"</c>, so the
/// order does not depend on the cluster's locale), starting after the token's key, in batches. Filters that only the
/// API can evaluate (a value inside a JSON column, an epoch-seconds range) are applied to each batch, and reading stops
/// as soon as the page is full: a list costs what its page needs, not the size of the account or the service.
/// </remarks>
public sealed class CloudMapPages(PageTokens tokens)
{
    /// <summary>Rows read per round trip while filling a page.</summary>
    public const int BatchSize = 200;

    public async Task<(List<T> Items, string? NextToken)> PageAsync<T>(
        IQueryable<T> source, Expression<Func<T, string>> key, Func<T, bool>? filter, JsonObject input, string scope, int defaultMax, CancellationToken cancellationToken)
        where T : class
    {
        var max = input["MaxResults"]?.GetValue<long>() is { } requested ? (int)requested : defaultMax;
        var after = input["NextToken"]?.GetValue<string>() is { } token ? await ReadTokenAsync(token, scope, cancellationToken) : null;
        var keyOf = key.Compile();
        var page = new List<T>(Math.Min(max + 1, BatchSize));
        while (true)
        {
            var batch = await Ordered(source, key, after).Take(BatchSize).ToListAsync(cancellationToken);
            page.AddRange(filter is null ? batch : batch.Where(filter));
            if (page.Count > max || batch.Count < BatchSize)
            {
                break;
            }

            after = keyOf(batch[^1]);
        }

        if (page.Count <= max)
        {
            return (page, null);
        }

        page.RemoveRange(max, page.Count - max);
        return (page, await tokens.IssueAsync(scope, keyOf(page[^1]), cancellationToken));
    }

    /// <summary>A list's answer: <paramref name="result"/> with <c>NextToken</c> when there is a next page.</summary>
    public static JsonObject Answer(JsonObject result, string? nextToken)
    {
        if (nextToken is not null)
        {
            result["NextToken"] = nextToken;
        }

        return result;
    }

    /// <summary>A list's scope: the operation, the account and its filters, so a token cannot be replayed on another list.</summary>
    public static string Scope(string operation, string accountId, JsonObject input) =>
        $"servicediscovery:{operation}:{accountId}:{CanonicalJson.Hash(new JsonObject { ["Filters"] = input["Filters"]?.DeepClone(), ["ServiceId"] = input["ServiceId"]?.DeepClone(), ["Instances"] = input["Instances"]?.DeepClone() })}";

    private async Task<string> ReadTokenAsync(string token, string scope, CancellationToken cancellationToken)
    {
        try
        {
            return await tokens.ReadAsync(token, scope, cancellationToken);
        }
        catch (AppMeshException)
        {
            throw CloudMapErrors.InvalidInput("NextToken: is not a token this API issued for this list; pass the NextToken of the previous page unchanged.");
        }
    }

    /// <summary><c>WHERE key COLLATE "C" &gt; @after ORDER BY key COLLATE "C"</c>.</summary>
    private static IQueryable<T> Ordered<T>(IQueryable<T> source, Expression<Func<T, string>> key, string? after)
    {
        var collated = Expression.Call(
            typeof(RelationalDbFunctionsExtensions).GetMethod(nameof(RelationalDbFunctionsExtensions.Collate))!.MakeGenericMethod(typeof(string)),
            Expression.Constant(EF.Functions), key.Body, Expression.Constant("C"));
        var query = source;
        if (after is not null)
        {
            var compare = Expression.Call(typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!, collated, Expression.Constant(after));
            query = query.Where(Expression.Lambda<Func<T, bool>>(Expression.GreaterThan(compare, Expression.Constant(0)), key.Parameters));
        }

        return query.OrderBy(Expression.Lambda<Func<T, string>>(collated, key.Parameters));
    }
}
