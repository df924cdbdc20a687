using Envoy.Config.Route.V3;

namespace Mesh.Translation.Tests.Translation;

/// <summary>Folding a router route into a gateway route must accept exactly the requests the two stages accepted.</summary>
public sealed class PathCompositionTests
{
    private static RouteMatch Prefix(string p) => new() { Prefix = p };

    private static RouteMatch Exact(string p) => new() { Path = p };

    private static RouteMatch Regex(string r) => new() { SafeRegex = new Envoy.Type.Matcher.V3.RegexMatcher { Regex = r } };

    [Theory]
    // gateway prefix, rewrite, inner prefix → combined prefix, rewrite
    [InlineData("/api/", "/", "/users", "/api/users", "/users")]
    [InlineData("/api/", "/", "/", "/api/", "/")]
    [InlineData("/api/", "/v2/", "/v2/items", "/api/items", "/v2/items")]
    [InlineData("/api/", "/v2/items/", "/v2/", "/api/", "/v2/items/")]
    [InlineData("/api/", null, "/api/users", "/api/users", null)]
    [InlineData("/api/users", null, "/api/", "/api/users", null)]
    [InlineData("/", null, "/x", "/x", null)]
    public void Folds_PrefixIntoPrefix(string gateway, string? rewrite, string inner, string prefix, string? prefixRewrite)
    {
        var result = PathComposition.Compose(Prefix(gateway), rewrite, Prefix(inner))!;

        Assert.Null(result.Unsupported);
        Assert.Equal(prefix, result.Match.Prefix);
        Assert.Equal(prefixRewrite, result.PrefixRewrite);
    }

    [Theory]
    [InlineData("/api/", "/v2/", "/admin")]
    [InlineData("/api/", null, "/other")]
    public void Drops_PrefixesThatCannotMeet(string gateway, string? rewrite, string inner)
    {
        Assert.Null(PathComposition.Compose(Prefix(gateway), rewrite, Exact(inner)));
    }

    [Fact]
    public void Folds_ExactRouteUnderRewrittenPrefix()
    {
        var result = PathComposition.Compose(Prefix("/api/"), "/", Exact("/login"))!;

        Assert.Equal("/api/login", result.Match.Path);
        Assert.Equal("/login", result.PrefixRewrite);
    }

    [Theory]
    [InlineData("/signin", "/login", "/", true)]
    [InlineData("/signin", "/login", "/log", true)]
    [InlineData("/signin", "/login", "/users", false)]
    [InlineData("/signin", null, "/sign", true)]
    public void Decides_InnerPrefix_ForExactGatewayPath(string gateway, string? rewrite, string inner, bool matches)
    {
        var result = PathComposition.Compose(Exact(gateway), rewrite, Prefix(inner));

        Assert.Equal(matches, result is not null);
        if (result is not null)
        {
            Assert.Equal(gateway, result.Match.Path);
            Assert.Equal(rewrite, result.PrefixRewrite);
        }
    }

    [Fact]
    public void Decides_InnerRegex_ForExactGatewayPath()
    {
        Assert.NotNull(PathComposition.Compose(Exact("/items/7"), null, Regex("/items/[0-9]+")));
        Assert.Null(PathComposition.Compose(Exact("/items/x"), null, Regex("/items/[0-9]+")));
    }

    [Theory]
    [InlineData("prefix", "/", true)]
    [InlineData("prefix", "/mod", true)]
    [InlineData("prefix", "/legacy", false)]
    [InlineData("exact", "/modern", true)]
    [InlineData("exact", "/modern/x", false)]
    [InlineData("regex", "/mod[a-z]+", true)]
    [InlineData("regex", "/v[0-9]+/legacy", false)]
    public void Decides_Inner_ForRegexGatewayPathRewrittenWhole(string kind, string inner, bool matches)
    {
        var innerMatch = kind switch { "prefix" => Prefix(inner), "exact" => Exact(inner), _ => Regex(inner) };

        var result = PathComposition.Compose(Regex("/v[0-9]+/legacy"), "/modern", innerMatch);

        Assert.Equal(matches, result is not null);
        if (result is not null)
        {
            Assert.Null(result.Unsupported);
            Assert.Equal("/v[0-9]+/legacy", result.Match.SafeRegex.Regex);
            Assert.Equal("/modern", result.PrefixRewrite);
        }
    }

    [Fact]
    public void Reports_RegexThatCannotBeFolded()
    {
        var result = PathComposition.Compose(Prefix("/api/"), "/", Regex("/items/[0-9]+"))!;

        Assert.NotNull(result.Unsupported);
    }

    [Fact]
    public void Decides_Regexes_WithoutBacktracking()
    {
        // Both the pattern and the path come from users, so they are matched by .NET's non-backtracking engine, whose
        // time grows with the path's length only. That engine, like Envoy's RE2, has no backreferences: a pattern with
        // one (stored before the API refused them) is left out with its reason, where a backtracking match would have
        // matched "/aa" and could be made to run for hours by a pattern such as "/(a|aa)*b".
        var innerRegex = PathComposition.Compose(Exact("/aa"), null, Regex("/(a)\\1"))!;
        var gatewayRegex = PathComposition.Compose(Regex("/(a)\\1"), null, Exact("/aa"))!;

        Assert.Contains("cannot be evaluated against the gateway's path '/aa'", innerRegex.Unsupported);
        Assert.Contains("cannot be evaluated against the router route's path '/aa'", gatewayRegex.Unsupported);
        Assert.Null(PathComposition.Compose(Exact("/" + new string('a', 200)), null, Regex("/(a|aa)*b")));
    }

    [Fact]
    public void Keeps_BothSetsOfConditions()
    {
        var gateway = Prefix("/");
        gateway.Headers.Add(new HeaderMatcher { Name = ":authority", PresentMatch = true });
        var inner = Prefix("/");
        inner.Headers.Add(new HeaderMatcher { Name = "x-beta", PresentMatch = true });
        inner.QueryParameters.Add(new QueryParameterMatcher { Name = "q", PresentMatch = true });

        var result = PathComposition.Compose(gateway, null, inner)!;

        Assert.Equal([":authority", "x-beta"], result.Match.Headers.Select(h => h.Name));
        Assert.Single(result.Match.QueryParameters);
    }
}
