using System.Text.Json.Nodes;
using Mesh.Model.Resources;

namespace Mesh.Model.Tests.Resources;

public sealed class Re2PatternsTests
{
    /// <summary>Patterns RE2 refuses, and what the refusal must say (held to the real RE2 in Re2PatternsAgainstRe2Tests).</summary>
    public static TheoryData<string, string> Refused { get; } = new()
    {
        { "([", "a '[' is not closed" },
        { "(abc", "a '(' is not closed" },
        { "abc)", "a ')' closes nothing" },
        { "*abc", "a repetition follows nothing" },
        { "a**", "a repetition repeats a repetition" },
        { "[z-a]", "a character range runs backwards" },
        { "a{3,2}", "a repetition's minimum is above its maximum" },
        { "abc\\", "it ends with a lone '\\'" },
        { "(a)\\1", "backreference" },
        { "(?<n>a)\\k<n>", "backreference" },
        { "\\8", "backreference" },
        { "foo(?=bar)", "a lookahead" },
        { "foo(?!bar)", "a lookahead" },
        { "(?<=foo)bar", "a lookbehind" },
        { "(?<!foo)bar", "a lookbehind" },
        { "(?>a+)b", "an atomic group" },
        { "(?(a)b|c)", "a conditional" },
        { "\\Gabc", "\\G" },
        { "a{1001}", "repeats more than 1000 times" },
        { "a{2,1001}", "repeats more than 1000 times" },
        { "[\\1]", "in a character class" },
        { "(a{2}b{600}){2}", "more than 1000 times in all" },
        { "((a{10}){10}){11}", "more than 1000 times in all" },
        { "\\Z", "the escape \\Z" },
        { "a\\e", "the escape \\e" },
        { "[\\b]", "in a character class" },
        { "(?x)a b", "the flag 'x'" },
        { "(?n)(a)", "the flag 'n'" },
        { "(?i-)a", "no flag after it" },
        { "(?#note)a", "a comment group" },
        { "(?'n'a)", "(?'name')" },
        { "[[:foo:]]", "[:foo:]" },
        { "\\x4", "an escape \\x needs two hex digits" },
        { "\\_(", "a '(' is not closed at offset 3" }, // the offset as written, though .NET reads "\\_" as "_"
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void WhatRe2Refuses_IsNamed(string pattern, string expected)
    {
        var problem = Re2Patterns.Problem(pattern);

        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    /// <summary>Patterns Envoy's RE2 accepts (held to the real RE2 in Re2PatternsAgainstRe2Tests, but for the ones with syntax of a newer RE2).</summary>
    public static TheoryData<string> Accepted { get; } = new()
    {
        { "/api/v[0-9]+/.*" },
        { "^/users/[^/]+$" },
        { "(?i)/Admin" },
        { "a{990}" }, // 994 RE2 instructions: under Envoy's limit of 1,000
        { "((a{9}){10}){5}" }, // nested counts of 450 in all: under RE2's limit of 1,000 copies
        { "(a{990}|b{2}){1}" },
        { "[[:word:]]+[[:^space:]]" },
        { "\\_\\ \\x41\\0777" },
        { "(?i)(?-i)(?is-m:a)" },
        { "a{2,}" },
        { "a{99999999999}" }, // literal text to RE2: its counts have at most nine digits
        { "a{01}b{1,02}" }, // literal text to RE2: its counts have no leading zero
        { "{abc}" }, // not a repetition: literal braces, in RE2 as in .NET
        { "\\123" }, // RE2's octal code, not a backreference
        { "[(?=]x" }, // inside a class, not a lookahead
        { "\\(?=x\\)" }, // escaped parentheses
        { "[]a]" },
        { "[^]a]" },
        { "[[:alpha:]]+" },
        { "(?P<version>v[0-9]+)" }, // RE2's named group, which .NET does not parse
        { "\\p{Greek}+" }, // RE2's script class, which .NET names otherwise
        { "\\pN" },
        { "\\Q*.*\\E" },
        { "\\x{1F600}" },
        { "(?U)a+" },
        { "\\d+\\.\\d+" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
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
