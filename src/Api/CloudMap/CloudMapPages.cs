using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Keyset paging for Cloud Map lists, with the App Mesh API's signed tokens. Items come sorted by their key (an id);
/// a token names the last key returned and the list (operation, account and filters) it belongs to, so a page
/// never repeats or skips an item because of writes in between.
/// </summary>
public sealed class CloudMapPages(PageTokens tokens)
{
    public async Task<(List<T> Items, string? NextToken)> PageAsync<T>(
        IEnumerable<T> sortedByKey, Func<T, string> key, JsonObject input, string scope, int defaultMax, CancellationToken cancellationToken)
    {
        var max = input["MaxResults"]?.GetValue<long>() is { } requested ? (int)requested : defaultMax;
        IEnumerable<T> remaining = sortedByKey;
        if (input["NextToken"]?.GetValue<string>() is { } token)
        {
            string after;
            try
            {
                after = await tokens.ReadAsync(token, scope, cancellationToken);
            }
            catch (AppMeshException)
            {
                throw CloudMapErrors.InvalidInput("NextToken: is not a token this API issued for this list; pass the NextToken of the previous page unchanged.");
            }

            remaining = remaining.SkipWhile(item => string.CompareOrdinal(key(item), after) <= 0);
        }

        var page = remaining.Take(max + 1).ToList();
        if (page.Count <= max)
        {
            return (page, null);
        }

        page.RemoveAt(max);
        return (page, await tokens.IssueAsync(scope, key(page[^1]), cancellationToken));
    }

    /// <summary>A list's scope: the operation, the account and its filters, so a token cannot be replayed on another list.</summary>
    public static string Scope(string operation, string accountId, JsonObject input) =>
        $"servicediscovery:{operation}:{accountId}:{CanonicalJson.Hash(new JsonObject { ["Filters"] = input["Filters"]?.DeepClone(), ["ServiceId"] = input["ServiceId"]?.DeepClone(), ["Instances"] = input["Instances"]?.DeepClone() })}";
}
