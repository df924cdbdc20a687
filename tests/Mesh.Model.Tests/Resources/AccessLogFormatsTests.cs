using Mesh.Model.Resources;

namespace Mesh.Model.Tests.Resources;

public sealed class AccessLogFormatsTests
{
    [Theory]
    [InlineData("[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE%\n")]
    [InlineData("%START_TIME(%Y/%m/%dT%H:%M:%S%z)%")]
    [InlineData("%REQ(USER-AGENT):10% %DYNAMIC_METADATA(envoy.lb:canary)%")]
    [InlineData("100%% done %UPSTREAM_HOST%")]
    [InlineData("%%")]
    [InlineData("no commands at all")]
    [InlineData("%HOSTNAME%%PROTOCOL%")]
    public void WhatEnvoyParses_IsKept(string format)
    {
        Assert.Null(AccessLogFormats.Problem(format));
    }

    [Theory]
    [InlineData("100% done", 3)]
    [InlineData("%", 0)]
    [InlineData("ok %START_TIME", 3)]
    [InlineData("%start_time%", 0)]
    [InlineData("%REQ(FIRST?SECOND%", 0)]
    [InlineData("%REQ(X):%", 0)]
    [InlineData("%REQ(X)x%", 0)]
    [InlineData("%PROTOCOL% %", 11)]
    [InlineData("RESP(FIRST)%", 11)]
    public void AStrayPercentSign_IsNamedByItsIndex(string format, int index)
    {
        var problem = AccessLogFormats.Problem(format);

        Assert.NotNull(problem);
        Assert.StartsWith($"has a '%' at index {index} that does not begin a command operator", problem);
        Assert.Contains("write %% for a literal '%'", problem);
    }
}
