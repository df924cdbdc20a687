using System.Text.Json.Nodes;
using Mesh.Model.Resources;

namespace Mesh.Model.Tests.Resources;

public sealed class Re2PatternsTests
{
    [Theory]
    [InlineData("([", "a '[' is not closed")]
    [InlineData("(abc", "a '(' is not closed")]
    [InlineData("abc)", "a ')' closes nothing")]
    [InlineData("*abc", "a repetition follows nothing")]
    [InlineData("a**", "a repetition repeats a repetition")]
    [InlineData("[z-a]", "a character range runs backwards")]
    [InlineData("a{3,2}", "a repetition's minimum is above its maximum")]
    [InlineData("abc\\", "it ends with a lone '\\'")]
    [InlineData("(a)\\1", "backreference")]
    [InlineData("(?<n>a)\\k<n>", "backreference")]
    [InlineData("\\8", "backreference")]
    [InlineData("foo(?=bar)", "a lookahead")]
    [InlineData("foo(?!bar)", "a lookahead")]
    [InlineData("(?<=foo)bar", "a lookbehind")]
    [InlineData("(?<!foo)bar", "a lookbehind")]
    [InlineData("(?>a+)b", "an atomic group")]
    [InlineData("(?(a)b|c)", "a conditional")]
    [InlineData("\\Gabc", "\\G")]
    [InlineData("a{1001}", "repeats more than 1000 times")]
    [InlineData("a{2,1001}", "repeats more than 1000 times")]
    [InlineData("a{99999999999}", "a repetition count is too large")]
    [InlineData("[\\1]", "in a character class")]
    [InlineData("(a{2}b{600}){2}", "more than 1000 times in all")]
    [InlineData("((a{10}){10}){11}", "more than 1000 times in all")]
    [InlineData("\\Z", "the escape \\Z")]
    [InlineData("a\\e", "the escape \\e")]
    [InlineData("[\\b]", "in a character class")]
    [InlineData("(?x)a b", "the flag 'x'")]
    [InlineData("(?n)(a)", "the flag 'n'")]
    [InlineData("(?i-)a", "no flag after it")]
    [InlineData("(?#note)a", "a comment group")]
    [InlineData("(?'n'a)", "(?'name')")]
    [InlineData("[[:foo:]]", "[:foo:]")]
    [InlineData("\\x4", "an escape \\x needs two hex digits")]
    [InlineData("\\_(", "a '(' is not closed at offset 3")] // the offset as written, though .NET reads "\\_" as "_"
    public void WhatRe2Refuses_IsNamed(string pattern, string expected)
    {
        var problem = Re2Patterns.Problem(pattern);

        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v[0-9]+/.*")]
    [InlineData("^/users/[^/]+$")]
    [InlineData("(?i)/Admin")]
    [InlineData("a{990}")] // 994 RE2 instructions: under Envoy's limit of 1,000
    [InlineData("((a{9}){10}){5}")] // nested counts of 450 in all: under RE2's limit of 1,000 copies
    [InlineData("(a{990}|b{2}){1}")]
    [InlineData("[[:word:]]+[[:^space:]]")]
    [InlineData("\\_\\ \\x41\\0777")]
    [InlineData("(?i)(?-i)(?is-m:a)")]
    [InlineData("a{2,}")]
    [InlineData("{abc}")] // not a repetition: literal braces, in RE2 as in .NET
    [InlineData("\\123")] // RE2's octal code, not a backreference
    [InlineData("[(?=]x")] // inside a class, not a lookahead
    [InlineData("\\(?=x\\)")] // escaped parentheses
    [InlineData("[]a]")]
    [InlineData("[^]a]")]
    [InlineData("[[:alpha:]]+")]
    [InlineData("(?P<version>v[0-9]+)")] // RE2's named group, which .NET does not parse
    [InlineData("\\p{Greek}+")] // RE2's script class, which .NET names otherwise
    [InlineData("\\pN")]
    [InlineData("\\Q*.*\\E")]
    [InlineData("\\x{1F600}")]
    [InlineData("(?U)a+")]
    [InlineData("\\d+\\.\\d+")]
    public void WhatRe2Accepts_IsNotRefused(string pattern) => Assert.Null(Re2Patterns.Problem(pattern));

    [Theory]
    [InlineData("route", """{"httpRoute":{"match":{"path":{"regex":"(["}},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.httpRoute.match.path.regex: is not a valid regular expression (a '[' is not closed at offset 2)")]
    [InlineData("route", """{"http2Route":{"match":{"prefix":"/","headers":[{"name":"x","match":{"exact":"y"}},{"name":"v","match":{"regex":"(a)\\1"}}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.http2Route.match.headers[1].match.regex: uses a backreference")]
    [InlineData("route", """{"grpcRoute":{"match":{"serviceName":"s","metadata":[{"name":"x","match":{"regex":"a(?=b)"}}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.grpcRoute.match.metadata[0].match.regex: uses a lookahead")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"path":{"regex":"/a{2000}"}},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.httpRoute.match.path.regex: repeats more than 1000 times")]
    [InlineData("gatewayRoute", """{"grpcRoute":{"match":{"serviceName":"s","metadata":[{"name":"x","match":{"regex":"(("}}]},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.grpcRoute.match.metadata[0].match.regex: is not a valid regular expression")]
    [InlineData("route", """{"httpRoute":{"match":{"prefix":"/","headers":[{"name":"host","match":{"regex":"[a-zA-Z0-9._-]{1,255}"}}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.httpRoute.match.headers[0].match.regex: compiles to at least 1022 RE2 instructions, over the 1000 Envoy allows")]
    public void ARouteRegexRe2Refuses_IsAViolationAtItsPath(string kind, string spec, string expected)
    {
        var violations = SpecRules.Check(ResourceKind.FromWireName(kind), JsonNode.Parse(spec)!.AsObject());

        Assert.Contains(violations, v => v.ToString().Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void ARouteWhoseRegexesRe2Accepts_HasNoViolation()
    {
        var spec = """{"httpRoute":{"match":{"path":{"regex":"/api/v[0-9]+"},"headers":[{"name":"x","match":{"regex":"(?i)beta"}}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""";

        Assert.Empty(SpecRules.Check(ResourceKind.Route, JsonNode.Parse(spec)!.AsObject()));
    }
}
