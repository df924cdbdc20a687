using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Mesh.Webhook.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Webhook.Tests.Support;

/// <summary>
/// The webhook host as it runs in the cluster (Kestrel, HTTPS with a certificate from PEM files), on a free port, and
/// a client that trusts exactly that certificate, as the API server trusts the caBundle it is given.
/// </summary>
public sealed class WebhookServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _folder;

    private WebhookServer(WebApplication app, string? folder, HttpClient client)
    {
        _app = app;
        _folder = folder;
        Client = client;
    }

    public HttpClient Client { get; }

    /// <summary>Starts the host with a fresh self-signed certificate; the client trusts exactly that certificate.</summary>
    public static async Task<WebhookServer> StartAsync(params (string Key, string Value)[] settings)
    {
        var folder = Directory.CreateTempSubdirectory("mesh-webhook-").FullName;
        using var certificate = SelfSigned();
        await File.WriteAllTextAsync(Path.Combine(folder, "tls.crt"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(folder, "tls.key"), certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) =>
                presented?.GetCertHashString(HashAlgorithmName.SHA256) == thumbprint,
        };
        return await StartAsync(Path.Combine(folder, "tls.crt"), Path.Combine(folder, "tls.key"), handler, address => address, folder, settings);
    }

    /// <summary>
    /// Starts the host with the given PEM files; <paramref name="handler"/> decides what the client trusts, and
    /// <paramref name="baseAddress"/> what URL it calls, given the address the host listens on.
    /// </summary>
    public static async Task<WebhookServer> StartAsync(
        string certificatePath, string keyPath, HttpMessageHandler handler, Func<Uri, Uri> baseAddress, string? folderToDelete,
        params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Webhook:Url"] = "https://127.0.0.1:0";
        builder.Configuration["Webhook:CertificatePath"] = certificatePath;
        builder.Configuration["Webhook:KeyPath"] = keyPath;
        builder.Configuration["Webhook:Xds"] = "mesh-xds.mesh-system.svc:18000";
        builder.Configuration["Webhook:Region"] = "eu-west-1";
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.AddWebhook();
        var app = builder.Build();
        app.MapWebhook();
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        var client = new HttpClient(handler) { BaseAddress = baseAddress(address), Timeout = TimeSpan.FromSeconds(30) };
        return new WebhookServer(app, folderToDelete, client);
    }

    /// <summary>
    /// Sends an AdmissionReview for creating <paramref name="pod"/> and returns the review's response;
    /// <paramref name="amend"/> changes the review's request first (another operation, dryRun, no object...).
    /// </summary>
    public async Task<AdmissionOutcome> ReviewAsync(JsonObject pod, string @namespace = "shop", Action<JsonObject>? amend = null)
    {
        var uid = Guid.NewGuid().ToString();
        var review = new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = uid,
                ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
                ["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "pods" },
                ["namespace"] = @namespace,
                ["operation"] = "CREATE",
                ["object"] = pod.DeepClone(),
            },
        };
        amend?.Invoke(review["request"]!.AsObject());
        using var answer = await Client.PostAsJsonAsync("/mutate", review);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = (await answer.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("admission.k8s.io/v1", body["apiVersion"]!.GetValue<string>());
        Assert.Equal("AdmissionReview", body["kind"]!.GetValue<string>());
        var response = body["response"]!.AsObject();
        Assert.Equal(uid, response["uid"]!.GetValue<string>());
        JsonArray? patch = null;
        if (response["patch"] is { } encoded)
        {
            Assert.Equal("JSONPatch", response["patchType"]!.GetValue<string>());
            patch = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(encoded.GetValue<string>())))!.AsArray();
        }

        var warnings = (response["warnings"] as JsonArray)?.Select(w => w!.GetValue<string>()).ToList() ?? [];
        return new AdmissionOutcome(response["allowed"]!.GetValue<bool>(), patch, response["status"]?["message"]?.GetValue<string>(), warnings);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mesh-webhook.mesh-system.svc", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("mesh-webhook.mesh-system.svc");
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}

/// <summary>The parts of an AdmissionReview response a test checks.</summary>
public sealed record AdmissionOutcome(bool Allowed, JsonArray? Patch, string? Message, IReadOnlyList<string> Warnings);
