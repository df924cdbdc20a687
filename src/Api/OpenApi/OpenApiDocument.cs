using System.Text.Json.Nodes;
using Mesh.Model.Wire;
using Mesh.Security;

namespace Mesh.Api.OpenApi;

/// <summary>
/// An OpenAPI 3.0 description of the API, derived from the same App Mesh model that binds and
/// validates requests. Deriving it (rather than annotating handlers) means the document cannot
/// disagree with the wire: every operation, member name, constraint and error comes from one source.
/// </summary>
public static class OpenApiDocument
{
    /// <summary>
    /// The document as served at <c>/openapi/v1.json</c> and written by <c>Mesh.Api openapi</c>. Both call
    /// this, so the client generated at build time is generated from exactly the bytes the server serves.
    /// </summary>
    public static string ToJson(ServiceModel model) => Build(model).ToJsonString();

    /// <summary>
    /// Authentication runs before every operation, so each can also answer with these codes. They are not
    /// shapes in the model but what AWS answers (and the SDKs recognise), at the status AWS gives them.
    /// </summary>
    private static readonly (string Name, int Status)[] AuthenticationErrors =
        new[] { AuthFailure.MissingToken, AuthFailure.IncompleteSignature, AuthFailure.UnrecognizedClient, AuthFailure.InvalidSignature }
            .Select(code => (code, new AuthFailure(code, code).HttpStatus))
            .ToArray();

    public static JsonObject Build(ServiceModel model)
    {
        var schemas = new JsonObject { ["ErrorBody"] = ErrorBody() };
        var paths = new JsonObject();
        foreach (var operation in model.Operations)
        {
            var item = paths[operation.PathTemplate] as JsonObject ?? new JsonObject();
            paths[operation.PathTemplate] = item;
            item[operation.HttpMethod.ToLowerInvariant()] = Operation(model, operation, schemas);
        }

        foreach (var (path, item) in HostPaths.All())
        {
            paths[path] = item;
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = new JsonObject
            {
                ["title"] = "Mesh: App Mesh API",
                ["version"] = "2019-01-25",
                ["description"] = "The AWS App Mesh 2019-01-25 REST API (rest-json), served by Mesh. Errors carry the code in the x-amzn-ErrorType header. "
                    + "Every call is signed with AWS Signature Version 4 (service appmesh) by a Mesh access key, as the AWS CLI and SDKs do; "
                    + "this page cannot sign, so its 'Try it out' works only against an API started with Mesh:Auth:Mode=None, for local experiments.",
            },
            ["servers"] = new JsonArray(
                new JsonObject { ["url"] = "http://127.0.0.1:8080", ["description"] = "The local stack that ./run.sh starts; put your deployment's URL here." },
                new JsonObject { ["url"] = "/", ["description"] = "The server this document was fetched from." }),
            // Every App Mesh operation is signed; the host's own endpoints (HostPaths) opt out with an empty list.
            ["security"] = new JsonArray(new JsonObject { [SigV4Scheme] = new JsonArray() }),
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject { [SigV4Scheme] = SigV4() },
                ["schemas"] = schemas,
                ["headers"] = new JsonObject
                {
                    [RequestIdHeader] = new JsonObject
                    {
                        ["description"] = "Identifies the request in the API's logs, traces and audit log; the AWS SDKs surface it in errors.",
                        ["required"] = true,
                        ["schema"] = new JsonObject { ["type"] = "string" },
                    },
                },
            },
        };
    }

    private static JsonObject Operation(ServiceModel model, Operation operation, JsonObject schemas)
    {
        var input = model.Shape(operation.InputShape!);
        var parameters = new JsonArray();
        // Path parameters in the order the path names them, then query parameters: generated clients take
        // them in this order, e.g. DescribeRoute(meshName, virtualRouterName, routeName).
        var bound = input.Members
            .Where(m => m.Location != MemberLocation.Body)
            .OrderBy(m => m.Location == MemberLocation.Uri ? operation.PathTemplate.IndexOf("{" + m.LocationName + "}", StringComparison.Ordinal) : int.MaxValue);
        foreach (var member in bound)
        {
            parameters.Add(new JsonObject
            {
                ["name"] = member.LocationName,
                ["in"] = member.Location == MemberLocation.Uri ? "path" : "query",
                ["required"] = member.Location == MemberLocation.Uri || input.Required.Contains(member.Name),
                ["schema"] = Reference(model, member.ShapeName, schemas),
            });
        }

        var (summary, description) = OperationText.For(operation.Name);
        var result = new JsonObject
        {
            ["operationId"] = operation.Name,
            ["summary"] = summary,
            ["description"] = description,
            ["tags"] = new JsonArray(Tag(operation.Name)),
            ["parameters"] = parameters,
        };

        if (input.Members.Any(m => m.Location == MemberLocation.Body))
        {
            // The body is the input shape's body members, so it is the input shape's own schema (which
            // leaves out path and query members). Naming it gives generated clients a type such as
            // CreateMeshInput instead of an anonymous one per operation.
            // It is required even when no member is: rest-json clients always send an object ({} at least),
            // and a generator told the body is optional sends the JSON literal null, which the API refuses.
            result["requestBody"] = new JsonObject
            {
                ["required"] = true,
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Reference(model, input.Name, schemas) } },
            };
        }

        var output = model.Shape(operation.OutputShape!);
        var responses = new JsonObject
        {
            [operation.ResponseCode.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["description"] = $"{operation.Name} succeeded.",
                ["headers"] = new JsonObject { [RequestIdHeader] = RequestIdReference() },
                ["content"] = new JsonObject
                {
                    ["application/json"] = new JsonObject { ["schema"] = OutputSchema(model, output, schemas) },
                },
            },
        };
        var errors = operation.Errors.Select(model.Shape).Select(e => (e.Name, Status: e.ErrorStatusCode ?? 500)).Concat(AuthenticationErrors);
        foreach (var group in errors.GroupBy(e => e.Status))
        {
            responses[group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["description"] = string.Join(", ", group.Select(e => e.Name)) + " (named by the x-amzn-ErrorType header).",
                ["headers"] = new JsonObject
                {
                    [RequestIdHeader] = RequestIdReference(),
                    ["x-amzn-ErrorType"] = new JsonObject
                    {
                        ["description"] = "The error code; the AWS SDKs read it from here, not from the body.",
                        ["required"] = true,
                        ["schema"] = new JsonObject { ["type"] = "string" },
                    },
                },
                ["content"] = new JsonObject
                {
                    ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/ErrorBody" } },
                },
            };
        }

        result["responses"] = responses;
        return result;
    }

    private const string RequestIdHeader = "x-amzn-RequestId";

    private const string SigV4Scheme = "sigv4";

    /// <summary>
    /// OpenAPI 3.0 has no scheme type for AWS Signature Version 4. It is declared as what it puts on the wire, an
    /// Authorization header, marked with the <c>x-amazon-apigateway-authtype: awsSigv4</c> extension that AWS's own
    /// tooling uses for exactly this, so generators and readers can tell it is SigV4 and not a static key.
    /// </summary>
    private static JsonObject SigV4() => new()
    {
        ["type"] = "apiKey",
        ["in"] = "header",
        ["name"] = "Authorization",
        ["description"] = "AWS Signature Version 4, service appmesh, in the API's region (Mesh:Region), signed with a Mesh access key "
            + "(Mesh.Api keys create). The AWS CLI and SDKs sign this way; the signature also covers x-amz-date (and x-amz-content-sha256 when sent).",
        ["x-amazon-apigateway-authtype"] = "awsSigv4",
    };

    private static JsonObject RequestIdReference() => new() { ["$ref"] = "#/components/headers/" + RequestIdHeader };

    private static JsonNode OutputSchema(ServiceModel model, Shape output, JsonObject schemas)
    {
        if (output.Payload is { } payload)
        {
            return Reference(model, output.FindMember(payload)!.ShapeName, schemas);
        }

        return Reference(model, output.Name, schemas);
    }

    private static JsonObject Reference(ServiceModel model, string shapeName, JsonObject schemas)
    {
        if (!schemas.ContainsKey(shapeName))
        {
            schemas[shapeName] = null;
            schemas[shapeName] = Schema(model, model.Shape(shapeName), schemas);
        }

        return new JsonObject { ["$ref"] = $"#/components/schemas/{shapeName}" };
    }

    private static JsonObject Schema(ServiceModel model, Shape shape, JsonObject schemas)
    {
        var schema = new JsonObject();
        switch (shape.Type)
        {
            case ShapeType.Structure:
                schema["type"] = "object";
                var properties = new JsonObject();
                foreach (var member in shape.Members.Where(m => m.Location == MemberLocation.Body))
                {
                    properties[member.Name] = Reference(model, member.ShapeName, schemas);
                }

                schema["properties"] = properties;
                var required = shape.Members.Where(m => m.Location == MemberLocation.Body && shape.Required.Contains(m.Name)).Select(m => (JsonNode)m.Name).ToArray();
                if (required.Length > 0)
                {
                    schema["required"] = new JsonArray(required);
                }

                if (shape.IsUnion)
                {
                    // A union sets exactly one member.
                    schema["minProperties"] = 1;
                    schema["maxProperties"] = 1;
                }

                break;
            case ShapeType.List:
                schema["type"] = "array";
                schema["items"] = Reference(model, shape.ElementShape!, schemas);
                SetIfPresent(schema, "minItems", shape.Min);
                SetIfPresent(schema, "maxItems", shape.Max);
                break;
            case ShapeType.String:
                schema["type"] = "string";
                SetIfPresent(schema, "minLength", shape.Min);
                SetIfPresent(schema, "maxLength", shape.Max);
                if (shape.PatternText is { } pattern)
                {
                    schema["pattern"] = pattern;
                }

                if (shape.Enum is { } values)
                {
                    schema["enum"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray());
                }

                break;
            case ShapeType.Integer:
            case ShapeType.Long:
                schema["type"] = "integer";
                schema["format"] = shape.Type == ShapeType.Integer ? "int32" : "int64";
                SetIfPresent(schema, "minimum", shape.Min);
                SetIfPresent(schema, "maximum", shape.Max);
                break;
            case ShapeType.Boolean:
                schema["type"] = "boolean";
                break;
            case ShapeType.Timestamp:
                schema["type"] = "number";
                schema["description"] = "Epoch seconds.";
                break;
        }

        return schema;
    }

    private static void SetIfPresent(JsonObject schema, string name, long? value)
    {
        if (value is { } v)
        {
            schema[name] = v;
        }
    }

    private static JsonObject ErrorBody() => new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject { ["message"] = new JsonObject { ["type"] = "string" } },
        ["required"] = new JsonArray("message"),
    };

    private static string Tag(string operationName)
    {
        foreach (var verb in new[] { "Create", "Describe", "Update", "Delete", "List" })
        {
            if (operationName.StartsWith(verb, StringComparison.Ordinal) && operationName != "ListTagsForResource")
            {
                var noun = operationName[verb.Length..];
                return noun.EndsWith("es", StringComparison.Ordinal) && noun == "Meshes" ? "Mesh" : noun.TrimEnd('s');
            }
        }

        return "Tags";
    }
}
