using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Microsoft.AspNetCore.Http.Features;

namespace Mesh.Api.Protocol;

/// <summary>
/// Assembles an operation's input from where the model says each member travels (URI label, query
/// string or JSON body), then checks the whole input against the input shape.
/// </summary>
public sealed class RequestBinder
{
    /// <summary>The largest request body accepted; the biggest legitimate App Mesh spec is a few KiB.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    private readonly ServiceModel model;
    private readonly ShapeValidator validator;

    /// <summary>The model's member names and enum values, which a body's are read as (<see cref="KnownStrings"/>).</summary>
    private readonly KnownStrings known;

    /// <summary>Each Describe operation's labels, by operation name: the ones <see cref="TryBindDescribe"/> can bind.</summary>
    private readonly FrozenDictionary<string, DescribeLabels> describes;

    /// <summary>Each List operation's labels and page members, by operation name: the ones <see cref="TryBindList"/> can bind.</summary>
    private readonly FrozenDictionary<string, ListLabels> lists;

    public RequestBinder(ServiceModel model, ShapeValidator validator)
    {
        this.model = model;
        this.validator = validator;
        known = KnownStrings.Of(model);
        var describes = new Dictionary<string, DescribeLabels>(StringComparer.Ordinal);
        var lists = new Dictionary<string, ListLabels>(StringComparer.Ordinal);
        foreach (var kind in ResourceKind.All)
        {
            if (DescribeLabels.Of(model, kind) is { } labels)
            {
                describes[labels.Operation] = labels;
            }

            if (ListLabels.Of(model, kind) is { } listLabels)
            {
                lists[listLabels.Operation] = listLabels;
            }
        }

        this.describes = describes.ToFrozenDictionary(StringComparer.Ordinal);
        this.lists = lists.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// A Describe's resource, bound straight from its path labels when <see cref="BindAsync"/> followed by the
    /// resource's name rules would take them as they are: no query string (its one member, meshOwner, is left to the
    /// general binding), every label lined up in the raw target and keeping its shape's rules and
    /// <see cref="ResourceNames"/>' rules. Null for any other call, which is then bound by <see cref="BindAsync"/>, so
    /// every refusal keeps its message and shape. The id is the one the handler would have made from the bound input;
    /// what this skips is the input's tree, its validation walk and the lists for violations that a warm Describe
    /// never has (about a seventh of its bytes, issue14ag).
    /// </summary>
    public ResourceId? TryBindDescribe(Operation operation, HttpContext context)
    {
        if (!describes.TryGetValue(operation.Name, out var labels) || context.Request.QueryString.HasValue)
        {
            return null;
        }

        if (KeptLabel(operation, context, labels.Mesh) is not { } mesh)
        {
            return null;
        }

        if (labels.Kind.IsMesh)
        {
            return ResourceId.ForMesh(mesh);
        }

        var parent = "";
        if (labels.Parent is { } parentLabel)
        {
            if (KeptLabel(operation, context, parentLabel) is not { } keptParent)
            {
                return null;
            }

            parent = keptParent;
        }

        return KeptLabel(operation, context, labels.Name!) is { } name ? new ResourceId(labels.Kind, mesh, parent, name) : null;
    }

    /// <summary>
    /// A list page's request, bound straight from its path labels and its query string when <see cref="BindAsync"/>
    /// would take them as they are: every label lined up in the raw target and keeping its shape's rules and
    /// <see cref="ResourceNames"/>' rules (which the list itself does not ask of them: a name they refuse finds no
    /// page and is answered by the general binding's path as before), and a query of nothing but a plain
    /// <c>limit</c> and <c>nextToken</c> (<see cref="ListLabels.TryReadQuery"/>). Null for any other call (a meshOwner,
    /// an escape in the query, a repeated member, an integer's bad text), which is then bound by
    /// <see cref="BindAsync"/>, so every refusal keeps its message and shape. What this skips is the input's tree,
    /// the query's parsed collection and the validation walk.
    /// </summary>
    public ListRequest? TryBindList(Operation operation, HttpContext context)
    {
        if (!lists.TryGetValue(operation.Name, out var labels))
        {
            return null;
        }

        var mesh = "";
        if (labels.Mesh is { } meshLabel)
        {
            if (KeptLabel(operation, context, meshLabel) is not { } keptMesh)
            {
                return null;
            }

            mesh = keptMesh;
        }

        var parent = "";
        if (labels.Parent is { } parentLabel)
        {
            if (KeptLabel(operation, context, parentLabel) is not { } keptParent)
            {
                return null;
            }

            parent = keptParent;
        }

        return labels.TryReadQuery(context.Request.QueryString.Value, out var limit, out var nextToken)
            ? new ListRequest(labels.Kind, mesh, parent, limit, nextToken)
            : null;
    }

    /// <summary>The label as <see cref="BindAsync"/> binds it, when nothing in it would be refused; else null.</summary>
    private static string? KeptLabel(Operation operation, HttpContext context, DescribeLabels.Label label)
    {
        if (!context.Request.RouteValues.TryGetValue(label.Name, out var value) || value is not string text)
        {
            return null;
        }

        return RawLabel(operation, context, label.Name, text) is { } raw && ShapeValidator.KeepsText(label.Shape, raw) && ResourceNames.Keeps(raw)
            ? raw
            : null;
    }

    public async Task<JsonObject> BindAsync(Operation operation, HttpContext context, CancellationToken cancellationToken)
    {
        var shape = model.Shape(operation.InputShape!);
        var input = new JsonObject();
        var violations = new List<Violation>();
        JsonObject? body = null;

        foreach (var member in shape.Members)
        {
            switch (member.Location)
            {
                case MemberLocation.Uri:
                    if (context.Request.RouteValues.TryGetValue(member.LocationName, out var label) && label is string text)
                    {
                        input[member.Name] = RawLabel(operation, context, member.LocationName, text)
                            ?? text.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
                    }

                    break;
                case MemberLocation.QueryString:
                    BindQuery(context.Request.Query, member, model.Shape(member.ShapeName), input, violations);
                    break;
                case MemberLocation.Body:
                    body ??= await ReadBodyAsync(context, cancellationToken);
                    if (body.TryGetPropertyValue(member.Name, out var value) && value is not null)
                    {
                        // Moved, not copied: the body's tree is this request's own and is not used again.
                        body.Remove(member.Name);
                        input[member.Name] = value;
                    }

                    break;
            }
        }

        if (violations.Count > 0)
        {
            throw AppMeshException.Invalid(violations);
        }

        var result = validator.Validate(shape.Name, input);
        if (!result.IsValid)
        {
            throw AppMeshException.Invalid(result.Violations);
        }

        return (JsonObject)result.Value!;
    }

    /// <summary>
    /// A URI label taken from the raw request target and percent-decoded exactly once, as the SDKs
    /// encoded it. The server's decoded path cannot be used: it leaves %2F encoded but decodes %25, so
    /// the names "a/b" and "a%2Fb" would arrive alike, and decoding it again turns "a%41" into "aA".
    /// Null when the raw target does not line up with the template (the route values are used then). A raw segment
    /// with no escape is the route's value (<paramref name="routeValue"/>) when they are the same text: that string is
    /// given back rather than a copy.
    /// </summary>
    private static string? RawLabel(Operation operation, HttpContext context, string name, string routeValue)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (!string.IsNullOrEmpty(raw) && raw[0] != '/')
        {
            raw = RawPathSegments.PathOfAbsoluteForm(raw); // absolute form: its path is routed the same
        }

        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        // Compared segment by segment in place (this runs for every label of every call): the raw path must have as
        // many segments as the template, and the label is the raw segment where the template has {name}.
        var path = raw.AsSpan();
        if (path.IndexOf('?') is var query and >= 0)
        {
            path = path[..query];
        }

        var template = operation.PathTemplate.AsSpan();
        if (path.Count('/') != template.Count('/'))
        {
            return null;
        }

        var rawSegments = path.Split('/');
        foreach (var segment in template.Split('/'))
        {
            rawSegments.MoveNext();
            var part = template[segment];
            if (part.Length == name.Length + 2 && part[0] == '{' && part[^1] == '}' && part[1..^1].SequenceEqual(name))
            {
                var rawLabel = path[rawSegments.Current];
                return rawLabel.IndexOf('%') < 0 && rawLabel.SequenceEqual(routeValue) ? routeValue : Unescape(rawLabel, name);
            }
        }

        return null;
    }

    /// <summary>
    /// A label's percent-escapes decoded as the UTF-8 the SDKs encode names in. Escapes that are not UTF-8 (%FF) name
    /// nothing a client could have sent: refused, where <see cref="Uri.UnescapeDataString(string)"/> would keep them
    /// as text and "%FF" and "%25FF" would address the same resource.
    /// </summary>
    private static string Unescape(ReadOnlySpan<char> rawLabel, ReadOnlySpan<char> name)
    {
        var bytes = new List<byte>(rawLabel.Length);
        for (var i = 0; i < rawLabel.Length; i++)
        {
            if (rawLabel[i] == '%' && i + 2 < rawLabel.Length
                && byte.TryParse(rawLabel.Slice(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var escaped))
            {
                bytes.Add(escaped);
                i += 2;
            }
            else if (rawLabel[i] < 0x80)
            {
                bytes.Add((byte)rawLabel[i]);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(rawLabel[i].ToString()));
            }
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]);
        }
        catch (DecoderFallbackException)
        {
            throw AppMeshException.BadRequest($"The request path's {name} has percent-escapes that are not UTF-8 (\"{Printable(rawLabel.ToString())}\"); names are sent as UTF-8.");
        }
    }

    private static void BindQuery(IQueryCollection query, Member member, Shape shape, JsonObject input, List<Violation> violations)
    {
        if (!query.TryGetValue(member.LocationName, out var values))
        {
            return;
        }

        if (values.Count != 1)
        {
            violations.Add(new Violation(member.LocationName, "must be given at most once in the query string"));
            return;
        }

        var raw = values[0] ?? "";
        if (shape.Type is ShapeType.Integer or ShapeType.Long)
        {
            if (DecimalText.TryParseLong(raw, out var number))
            {
                input[member.Name] = number;
            }
            else
            {
                violations.Add(new Violation(member.LocationName, $"must be an integer, got \"{Printable(raw)}\""));
            }

            return;
        }

        input[member.Name] = raw;
    }

    private async Task<JsonObject> ReadBodyAsync(HttpContext context, CancellationToken cancellationToken)
    {
        BodyEncoding.EnsureUncompressed(context.Request);

        // The bytes SigV4 hashed, read where they are, in one pass (RequestJson).
        var body = await RequestBody.OfAsync(context, cancellationToken);
        return body.Length == 0 ? [] : RequestJson.ReadObject(body.Span, known);
    }

    /// <summary>
    /// At most 64 characters (Unicode scalars) of <paramref name="raw"/>, control characters shown as "?" and a lone
    /// surrogate as U+FFFD: for messages that quote the request, which also go to the audit log as they are.
    /// </summary>
    internal static string Printable(string raw) =>
        string.Concat(raw.EnumerateRunes().Take(64).Select(r => Rune.IsControl(r) ? "?" : r.ToString()));
}
