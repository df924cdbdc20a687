using Grpc.Core;
using Mesh.Security;
using Mesh.XdsServer.Auth;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Tests.Auth;

/// <summary>The SigV4 check on the HTTP/2 request of a call, for what an in-process channel cannot send.</summary>
public sealed class ProxyAuthenticatorTests
{
    private static ProxyAuthenticator Authenticator(string region = "us-east-1")
    {
        var keys = new Keys();
        var services = new ServiceCollection().AddSingleton<IProxyKeyStore>(keys).BuildServiceProvider();
        return new ProxyAuthenticator(
            Options.Create(new ProxyAuthOptions { Mode = ProxyAuthMode.SigV4 }),
            Options.Create(new XdsTlsOptions()),
            Options.Create(new AccountOptions { Region = region }),
            new ProxyIdentityParser(MeshRows.Account),
            TimeProvider.System,
            services);
    }

    private static DefaultHttpContext Call(string authority, Metadata headers)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Path = EnvoySigner.AdsPath;
        http.Request.Host = new HostString(authority);
        http.Request.Headers.ContentType = "application/grpc";
        http.Request.Headers["te"] = "trailers";
        foreach (var entry in headers)
        {
            http.Request.Headers[entry.Key] = entry.Value;
        }

        return http;
    }

    [Fact]
    public async Task Grpc_Signs_The_Authority_Without_The_Default_Port_And_Either_Form_Is_Accepted()
    {
        var authenticator = Authenticator();
        var withoutPort = EnvoySigner.Sign("xds.example.com", EnvoySigner.AdsPath, "MKIAWEB", "secret");
        var principal = await authenticator.AuthenticateAsync(Call("xds.example.com:443", withoutPort), TaskTimeouts.Token()).DefaultTimeout();
        Assert.Equal("MKIAWEB", principal.Name);

        var withPort = EnvoySigner.Sign("xds.example.com:443", EnvoySigner.AdsPath, "MKIAWEB", "secret");
        Assert.Equal("MKIAWEB", (await authenticator.AuthenticateAsync(Call("xds.example.com:443", withPort), TaskTimeouts.Token()).DefaultTimeout()).Name);

        var otherHost = EnvoySigner.Sign("elsewhere.example.com", EnvoySigner.AdsPath, "MKIAWEB", "secret");
        var refused = await Assert.ThrowsAsync<RpcException>(() => authenticator.AuthenticateAsync(Call("xds.example.com:443", otherHost), TaskTimeouts.Token()).DefaultTimeout());
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Theory]
    [InlineData("us-west-2", "appmesh", "Credential should be scoped to a valid region, 'us-east-1'")]
    [InlineData("us-east-1", "s3", "Credential should be scoped to correct service: 'appmesh'")]
    public async Task The_Scope_Must_Be_This_Region_And_Appmesh(string region, string service, string expected)
    {
        var headers = EnvoySigner.Sign("xds.example.com:18000", EnvoySigner.AdsPath, "MKIAWEB", "secret", region: region, service: service);
        var refused = await Assert.ThrowsAsync<RpcException>(() => Authenticator().AuthenticateAsync(Call("xds.example.com:18000", headers), TaskTimeouts.Token()).DefaultTimeout());
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains(expected, refused.Status.Detail);
    }

    [Fact]
    public async Task A_Session_Token_Is_Signed_Like_Any_Header()
    {
        var headers = EnvoySigner.Sign("xds.example.com:18000", EnvoySigner.AdsPath, "MKIAWEB", "secret", sessionToken: "token");
        Assert.Equal("MKIAWEB", (await Authenticator().AuthenticateAsync(Call("xds.example.com:18000", headers), TaskTimeouts.Token()).DefaultTimeout()).Name);
        var tampered = EnvoySigner.Sign("xds.example.com:18000", EnvoySigner.AdsPath, "MKIAWEB", "secret", sessionToken: "token");
        var http = Call("xds.example.com:18000", tampered);
        http.Request.Headers["x-amz-security-token"] = "other";
        var refused = await Assert.ThrowsAsync<RpcException>(() => Authenticator().AuthenticateAsync(http, TaskTimeouts.Token()).DefaultTimeout());
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    private sealed class Keys : IProxyKeyStore
    {
        public Task<ActiveKey?> FindActiveAsync(string accessKeyId, CancellationToken cancellationToken) =>
            Task.FromResult(accessKeyId == "MKIAWEB" ? new ActiveKey("MKIAWEB", "secret", MeshRows.Account, KeyPolicy.Admin) : null);
    }
}
