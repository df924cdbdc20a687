using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests.Sts;

/// <summary>
/// STS GetCallerIdentity on the API port, on the Query protocol's wire as the SDKs send and parse it: a signed form
/// posted to <c>/</c>, an XML answer naming the key's account, and XML errors whose Code the SDKs read. It needs no
/// permission (a read-only key gets it), but a signature for <c>sts</c> by a live key.
/// </summary>
public sealed class StsProtocolTests(ApiServer api) : IClassFixture<ApiServer>
{
    private static readonly XNamespace Sts = "https://sts.amazonaws.com/doc/2011-06-15/";

    [Fact]
    public async Task GetCallerIdentity_Names_The_Keys_Account_Whatever_Its_Policy()
    {
        var key = await api.CreateKeyAsync("444455556666", KeyPolicy.ReadOnly);
        using var client = StsClient(key.AccessKeyId, key.SecretAccessKey);

        var (status, type, body) = await SendAsync(client, "Action=GetCallerIdentity&Version=2011-06-15");

        Assert.Equal(200, status);
        Assert.Equal("text/xml", type);
        var result = body.Root!.Element(Sts + "GetCallerIdentityResult")!;
        Assert.Equal("444455556666", result.Element(Sts + "Account")!.Value);
        Assert.Equal(key.AccessKeyId, result.Element(Sts + "UserId")!.Value);
        Assert.Equal($"arn:aws:iam::444455556666:user/{key.AccessKeyId}", result.Element(Sts + "Arn")!.Value);
        Assert.False(string.IsNullOrEmpty(body.Root!.Element(Sts + "ResponseMetadata")!.Element(Sts + "RequestId")!.Value));
    }

    [Theory]
    [InlineData("Action=AssumeRole&Version=2011-06-15&RoleArn=x", "InvalidAction", "'AssumeRole'")]
    [InlineData("Version=2011-06-15", "InvalidAction", "Action is missing")]
    [InlineData("Action=GetCallerIdentity&Version=2099-01-01", "InvalidAction", "version 2099-01-01")]
    public async Task Anything_But_GetCallerIdentity_Is_An_Xml_Error_Naming_It(string form, string code, string expected)
    {
        using var client = StsClient(api.AdminKey.AccessKeyId, api.AdminKey.SecretAccessKey);

        var (status, type, body) = await SendAsync(client, form);

        Assert.Equal(400, status);
        Assert.Equal("text/xml", type);
        var error = body.Root!.Element(Sts + "Error")!;
        Assert.Equal("Sender", error.Element(Sts + "Type")!.Value);
        Assert.Equal(code, error.Element(Sts + "Code")!.Value);
        Assert.Contains(expected, error.Element(Sts + "Message")!.Value, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", "Action=%ZZ%&Version=%")]
    [InlineData("application/x-www-form-urlencoded", "Action=GetCallerIdentity&Action=GetCallerIdentity")]
    [InlineData("application/x-www-form-urlencoded", "\u0000\u0001\u00ff=\u00fe")]
    [InlineData("application/x-www-form-urlencoded", "")]
    [InlineData("application/x-www-form-urlencoded", "Action=%01%00x")]
    [InlineData("application/x-www-form-urlencoded", "Action=GetCallerIdentity&Version=%EF%BF%BF%ED%A0%80")]
    public async Task Hostile_Forms_Are_Answered_With_A_4xx_Xml_Error(string contentType, string form)
    {
        using var client = StsClient(api.AdminKey.AccessKeyId, api.AdminKey.SecretAccessKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(Encoding.Latin1.GetBytes(System.Text.RegularExpressions.Regex.Unescape(form))) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"answered {(int)response.StatusCode}: {text}");
        var error = XDocument.Parse(text).Root!.Element(Sts + "Error")!;
        Assert.False(string.IsNullOrEmpty(error.Element(Sts + "Code")!.Value));
        Assert.False(string.IsNullOrEmpty(error.Element(Sts + "Message")!.Value));
    }

    [Fact]
    public async Task A_Signature_For_Another_Service_Or_By_An_Unknown_Key_Is_Refused()
    {
        using var appMesh = new HttpClient(new SigningHandler(api.AdminKey.AccessKeyId, api.AdminKey.SecretAccessKey, ApiServer.Region, "appmesh")) { BaseAddress = api.BaseAddress };
        var (status, _, body) = await SendAsync(appMesh, "Action=GetCallerIdentity&Version=2011-06-15");
        Assert.Equal(403, status);
        Assert.Equal("SignatureDoesNotMatch", body.Root!.Element(Sts + "Error")!.Element(Sts + "Code")!.Value);
        Assert.Contains("'sts'", body.Root!.Element(Sts + "Error")!.Element(Sts + "Message")!.Value, StringComparison.Ordinal);

        using var unknown = StsClient("MKIAUNKNOWNUNKNOWN00", "secret");
        (status, _, body) = await SendAsync(unknown, "Action=GetCallerIdentity&Version=2011-06-15");
        Assert.Equal(403, status);
        Assert.Equal("Sender", body.Root!.Element(Sts + "Error")!.Element(Sts + "Type")!.Value);
        Assert.Equal("InvalidClientTokenId", body.Root!.Element(Sts + "Error")!.Element(Sts + "Code")!.Value);
    }

    [Fact]
    public async Task A_Refused_Call_Is_Audited_Under_The_Action_Its_Form_Names()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var unknown = StsClient("MKIAUNKNOWNAUDIT0000", "secret");
        var (_, _, assume) = await SendAsync(unknown, "Action=AssumeRole&Version=2011-06-15");
        var (_, _, identity) = await SendAsync(unknown, "Action=GetCallerIdentity&Version=2011-06-15");

        var audit = api.Services.GetRequiredService<Mesh.Api.Security.AuditLog>();
        await audit.FlushAsync(CancellationToken.None);
        var records = await audit.ListAsync(before, DateTimeOffset.UtcNow.AddSeconds(1), null, CancellationToken.None);
        string ActionOf(XDocument answer) => Assert.Single(records, r => r.RequestId == answer.Root!.Element(Sts + "RequestId")!.Value).Action;
        Assert.Equal("sts:UnknownOperation", ActionOf(assume));
        Assert.Equal("sts:GetCallerIdentity", ActionOf(identity));
    }

    private HttpClient StsClient(string accessKeyId, string secret) =>
        new(new SigningHandler(accessKeyId, secret, ApiServer.Region, "sts")) { BaseAddress = api.BaseAddress };

    private static async Task<(int Status, string? ContentType, XDocument Body)> SendAsync(HttpClient client, string form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(form, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded") { CharSet = "utf-8" };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"answered {(int)response.StatusCode}: {text}");
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, XDocument.Parse(text));
    }
}
