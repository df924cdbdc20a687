using System.Security.Cryptography.X509Certificates;
using Mesh.Webhook.Admission;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Mesh.Webhook.Hosting;

public static class WebhookHosting
{
    public static WebApplicationBuilder AddWebhook(this WebApplicationBuilder builder)
    {
        WebhookOptions options;
        try
        {
            options = builder.Configuration.GetSection(WebhookOptions.Section).Get<WebhookOptions>() ?? new WebhookOptions();
        }
        catch (InvalidOperationException e)
        {
            // The binder's message names the key and the value it could not convert (e.g. Webhook:AuthMode).
            throw new WebhookConfigurationException(e.Message);
        }

        _ = options.XdsAddress; // a bad address stops the host at start, not at the first pod
        if (!WebhookOptions.EnvoyLogLevels.Contains(options.EnvoyLogLevel, StringComparer.Ordinal))
        {
            throw new WebhookConfigurationException(
                $"Webhook:EnvoyLogLevel must be one of {string.Join(", ", WebhookOptions.EnvoyLogLevels)}, got '{options.EnvoyLogLevel}'.");
        }

        if (options.SdsSocketPath is { Length: > 0 } sds && (!sds.StartsWith('/') || Path.GetDirectoryName(sds) is not { Length: > 0 }))
        {
            throw new WebhookConfigurationException($"Webhook:SdsSocketPath must be an absolute path to a socket, got '{sds}'.");
        }

        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || url.Scheme != "https"
            || !System.Net.IPAddress.TryParse(url.Host.Trim('[', ']'), out var address))
        {
            throw new WebhookConfigurationException($"Webhook:Url must be https://<IP address>:<port>, got '{options.Url}'.");
        }

        if (string.IsNullOrEmpty(options.CertificatePath) || string.IsNullOrEmpty(options.KeyPath))
        {
            throw new WebhookConfigurationException(
                "Webhook:CertificatePath and Webhook:KeyPath are required: the Kubernetes API server calls webhooks over HTTPS only.");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(options.CertificatePath, options.KeyPath);
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException)
        {
            throw new WebhookConfigurationException($"Webhook:CertificatePath/KeyPath could not be read: {e.Message}");
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, url.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            });
        });
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton<AdmissionHandler>();
        return builder;
    }

    public static WebApplication MapWebhook(this WebApplication app)
    {
        app.MapPost(AdmissionHandler.Path, (AdmissionHandler handler, System.Text.Json.Nodes.JsonNode review) =>
        {
            try
            {
                return Results.Json(handler.Review(review));
            }
            catch (MalformedReviewException e)
            {
                // Not from an API server: with no uid to answer under, the caller gets the reason as a 400.
                return Results.Text(e.Message + "\n", statusCode: StatusCodes.Status400BadRequest);
            }
        });
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        return app;
    }
}
