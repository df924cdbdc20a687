using System.Globalization;
using Mesh.Api.Resources;
using Mesh.Model.Resources;
using Mesh.Model.Wire;

namespace Mesh.Api.Protocol;

/// <summary>
/// A List operation's path labels (the mesh's name and the parent's, as the kind has them) and its page members' rules,
/// for <see cref="RequestBinder.TryBindList"/>: made only when the model's input is exactly those labels plus query
/// members, among them <c>limit</c> (an integer with a range) and <c>nextToken</c> (a string), none of the query's
/// members required.
/// </summary>
internal sealed record ListLabels(string Operation, ResourceKind Kind, DescribeLabels.Label? Mesh, DescribeLabels.Label? Parent,
    long LimitMin, long LimitMax, Shape NextTokenShape)
{
    public static ListLabels? Of(ServiceModel model, ResourceKind kind)
    {
        var operationName = "List" + kind.PluralPascalName;
        if (model.Operations.FirstOrDefault(o => o.Name == operationName) is not { InputShape: { } inputName } operation
            || operation.HttpMethod != HttpMethods.Get)
        {
            return null;
        }

        var input = model.Shape(inputName);
        var expected = new List<string>();
        if (!kind.IsMesh)
        {
            expected.Add("meshName");
        }

        if (kind.Parent is { } parentKind)
        {
            expected.Add(parentKind.NameMember);
        }

        var limit = input.Members.FirstOrDefault(m => m is { Name: "limit", LocationName: "limit", Location: MemberLocation.QueryString });
        var nextToken = input.Members.FirstOrDefault(m => m is { Name: "nextToken", LocationName: "nextToken", Location: MemberLocation.QueryString });
        if (DescribeLabels.ExactLabels(model, input, expected) is not { } labels
            || limit is null || model.Shape(limit.ShapeName) is not { Type: ShapeType.Integer, Min: { } min, Max: { } max }
            || nextToken is null || model.Shape(nextToken.ShapeName) is not { Type: ShapeType.String } tokenShape)
        {
            return null;
        }

        return new ListLabels(
            operationName,
            kind,
            kind.IsMesh ? null : labels["meshName"],
            kind.Parent is { } parent ? labels[parent.NameMember] : null,
            min,
            max,
            tokenShape);
    }

    /// <summary>
    /// The page's limit and nextToken from the raw query string (<c>?…</c>, as sent), when it holds nothing but
    /// <c>limit=</c> with digits (no sign, no leading zero) in the shape's range and <c>nextToken=</c> with a page
    /// token's own characters (letters, digits, '-', '_', '.'), each at most once, as exactly those names. Text the
    /// query's parsing would change (an escape, '+'), a name in other case, a repeated or unknown member (meshOwner),
    /// an empty part or a value the rules refuse: false, and the call is bound by <see cref="RequestBinder.BindAsync"/>,
    /// which answers it as before.
    /// </summary>
    public bool TryReadQuery(string? query, out int limit, out string? nextToken)
    {
        limit = ListRequest.DefaultLimit;
        nextToken = null;
        if (string.IsNullOrEmpty(query))
        {
            return true;
        }

        if (query[0] != '?' || query.Length == 1)
        {
            return false;
        }

        var rest = query.AsSpan(1);
        var limitSeen = false;
        foreach (var range in rest.Split('&'))
        {
            var part = rest[range];
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                return false;
            }

            var name = part[..equals];
            var value = part[(equals + 1)..];
            if (name.SequenceEqual("limit") && !limitSeen && TryLimit(value, out limit))
            {
                limitSeen = true;
                continue;
            }

            if (!name.SequenceEqual("nextToken") || nextToken is not null || !IsTokenText(value))
            {
                return false;
            }

            nextToken = value.ToString();
            if (!ShapeValidator.KeepsText(NextTokenShape, nextToken))
            {
                return false;
            }
        }

        return true;
    }

    private bool TryLimit(ReadOnlySpan<char> text, out int limit)
    {
        limit = 0;
        if (text.IsEmpty || text.Length > 9 || text[0] == '0' || !DecimalText.TryParseInt(text, out limit))
        {
            return false;
        }

        return limit >= LimitMin && limit <= LimitMax;
    }

    private static bool IsTokenText(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
