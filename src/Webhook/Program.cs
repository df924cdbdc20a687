using Mesh.Webhook.Hosting;

// Why a host of its own rather than endpoints in the API: the Kubernetes API server calls it, over TLS with a
// certificate for an in-cluster Service name, on every pod creation in meshed namespaces. It needs no database, no
// access keys and no SigV4, and it must keep answering when the API or PostgreSQL is down (a webhook that fails blocks
// pod creation), so it is small, stateless and scaled and secured on its own. It shares the bootstrap code
// (src/Bootstrap) with the API, so a sidecar it injects gets the same bootstrap as `api bootstrap` writes.
// Configuration: section Webhook (see WebhookOptions).
try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddWebhook();
    var app = builder.Build();
    app.MapWebhook();
    await app.RunAsync();
    return 0;
}
catch (WebhookConfigurationException e)
{
    await Console.Error.WriteLineAsync($"Mesh.Webhook: {e.Message}");
    return 2;
}
