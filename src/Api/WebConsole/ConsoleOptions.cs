namespace Mesh.Api.WebConsole;

/// <summary>The "Mesh:Console" configuration section: the web console served at <c>/console</c>.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Mesh:Console";

    /// <summary>
    /// The xDS servers' admin URLs (e.g. http://127.0.0.1:18001), whose <c>GET /proxy-status</c> the console shows
    /// on its service map. Empty: the map shows no proxies and says the setting is missing.
    /// </summary>
    public List<string> ProxyStatusUrls { get; set; } = [];

    /// <summary>How long a console sign-in lasts; the key it was made with is re-checked on every call regardless.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long the API host waits for one xDS server's proxy status.</summary>
    public TimeSpan ProxyStatusTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Failed sign-ins one access key id, or one source address, may make at once before being answered 429.</summary>
    public int SignInBurst { get; set; } = 10;

    /// <summary>How fast those failed sign-ins are allowed again, per key id and per address.</summary>
    public double SignInsPerMinute { get; set; } = 6;

    /// <summary>Sign-ins one access key may hold at once; a further one ends that key's oldest (never another key's).</summary>
    public int MaxSessionsPerKey { get; set; } = 20;
}
