using System.Net;
using System.Net.Sockets;
using System.Text;
using Mesh.Deploy.Tests.Support;

namespace Mesh.Deploy.Tests.ProxyInit;

/// <summary>
/// deploy/proxy-init/mesh-proxy-init in a real network namespace: a "pod" (the namespace) with listeners standing in
/// for the application, Envoy's ingress, egress and admin, and the network on the far side of a veth pair. Each test
/// makes real TCP connections and checks which listener they reached.
/// </summary>
public sealed class TrafficRedirectionTests : IAsyncLifetime
{
    private const int ApplicationPort = 8080;
    private const int UnmeshedApplicationPort = 8081;
    private const int IngressPort = 15000;
    private const int EgressPort = 15001;
    private const int AdminPort = 9901;
    private const int UpstreamPort = 9000;
    private const int IgnoredUpstreamPort = 9022;
    private const int EnvoyUid = 1337;
    private const int ApplicationUid = 1000;

    private NetworkNamespace _pod = null!;
    private readonly ProbeListeners _listeners = new();

    public static TheoryData<string> Families => new() { "ipv4", "ipv6" };

    public async Task InitializeAsync()
    {
        _pod = await NetworkNamespace.CreateAsync();
        foreach (var any in new[] { IPAddress.Any, IPAddress.IPv6Any })
        {
            _listeners.Add("envoy-ingress", _pod.Listen(new IPEndPoint(any, IngressPort)));
            _listeners.Add("envoy-egress", _pod.Listen(new IPEndPoint(any, EgressPort)));
            _listeners.Add("envoy-admin", _pod.Listen(new IPEndPoint(any, AdminPort)));
            _listeners.Add("application", _pod.Listen(new IPEndPoint(any, ApplicationPort)));
            _listeners.Add("application", _pod.Listen(new IPEndPoint(any, UnmeshedApplicationPort)));
        }

        foreach (var outside in new[] { _pod.OutsideV4, _pod.OutsideV6 })
        {
            _listeners.Add("outside", NetworkNamespace.ListenOutside(new IPEndPoint(outside, UpstreamPort)));
            _listeners.Add("outside", NetworkNamespace.ListenOutside(new IPEndPoint(outside, IgnoredUpstreamPort)));
        }
    }

    public async Task DisposeAsync()
    {
        await _listeners.DisposeAsync();
        await _pod.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task InboundToAnApplicationPort_ArrivesAtEnvoysIngress_WithTheOriginalDestination(string family)
    {
        await ApplyAsync();
        var destination = new IPEndPoint(_pod.Inside(Family(family)), ApplicationPort);

        var arrival = await ConnectFromOutsideAsync(destination);

        Assert.Equal("envoy-ingress", arrival.Listener);
        Assert.Equal(destination, arrival.OriginalDestination);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task InboundToOtherPorts_IsNotRedirected(string family)
    {
        await ApplyAsync();
        var inside = _pod.Inside(Family(family));

        Assert.Equal("application", (await ConnectFromOutsideAsync(new IPEndPoint(inside, UnmeshedApplicationPort))).Listener);
        Assert.Equal("envoy-admin", (await ConnectFromOutsideAsync(new IPEndPoint(inside, AdminPort))).Listener);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task OutboundFromTheApplication_ArrivesAtEnvoysEgress_WithTheOriginalDestination(string family)
    {
        await ApplyAsync();
        var destination = new IPEndPoint(_pod.Outside(Family(family)), UpstreamPort);

        var arrival = await ConnectFromInsideAsync(ApplicationUid, destination);

        Assert.Equal("envoy-egress", arrival.Listener);
        Assert.Equal(destination, arrival.OriginalDestination);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task OutboundFromEnvoysUid_GoesStraightOut(string family)
    {
        await ApplyAsync();

        var arrival = await ConnectFromInsideAsync(EnvoyUid, new IPEndPoint(_pod.Outside(Family(family)), UpstreamPort));

        Assert.Equal("outside", arrival.Listener);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task OutboundToIgnoredPortsAndAddresses_GoesStraightOut(string family)
    {
        var outside = _pod.Outside(Family(family));
        await ApplyAsync(("APPMESH_EGRESS_IGNORED_PORTS", $"{IgnoredUpstreamPort}"));
        Assert.Equal("outside", (await ConnectFromInsideAsync(ApplicationUid, new IPEndPoint(outside, IgnoredUpstreamPort))).Listener);
        Assert.Equal("envoy-egress", (await ConnectFromInsideAsync(ApplicationUid, new IPEndPoint(outside, UpstreamPort))).Listener);

        // Running it again with other settings replaces the rules: now the whole address is exempt, the port no longer.
        var cidr = family == "ipv4" ? $"{outside}/32" : $"{outside}/128";
        await ApplyAsync(("APPMESH_EGRESS_IGNORED_IP", $"192.0.2.0/24,{cidr},2001:db8::/32"));
        Assert.Equal("outside", (await ConnectFromInsideAsync(ApplicationUid, new IPEndPoint(outside, UpstreamPort))).Listener);
    }

    [Fact]
    public async Task RunningAgain_LeavesExactlyTheSameRules()
    {
        await ApplyAsync(("APPMESH_EGRESS_IGNORED_PORTS", "9022,9023"), ("APPMESH_EGRESS_IGNORED_IP", "192.0.2.0/24,2001:db8::/32"));
        var first = await NatRulesAsync();

        await ApplyAsync(("APPMESH_EGRESS_IGNORED_PORTS", "9022,9023"), ("APPMESH_EGRESS_IGNORED_IP", "192.0.2.0/24,2001:db8::/32"));

        Assert.Equal(first, await NatRulesAsync());
        Assert.Contains("-A PREROUTING -p tcp -j APPMESH_INGRESS", first);
        Assert.Contains("-A OUTPUT -p tcp -j APPMESH_EGRESS", first);
        Assert.Contains("-A APPMESH_EGRESS -p tcp -m owner --uid-owner 1337 -j RETURN", first);
    }

    [Fact]
    public async Task RunningAgainWithIpv6Off_RemovesTheIpv6RulesItHadInstalled()
    {
        await ApplyAsync(("APPMESH_ENABLE_IPV6", "1"));

        await ApplyAsync(("APPMESH_ENABLE_IPV6", "0"));

        var ip6 = await _pod.ExecAsync(["ip6tables", "-w", "-t", "nat", "-S"]);
        Assert.DoesNotContain("APPMESH", ip6.Output);
        Assert.Contains("-A APPMESH_EGRESS -p tcp -j REDIRECT --to-ports 15001", await NatRulesAsync());
        Assert.Equal("outside", (await ConnectFromInsideAsync(ApplicationUid, new IPEndPoint(_pod.OutsideV6, UpstreamPort))).Listener);
        Assert.Equal("application", (await ConnectFromOutsideAsync(new IPEndPoint(_pod.InsideV6, ApplicationPort))).Listener);
    }

    [Fact]
    public async Task Clean_RemovesEveryRule_AndTrafficFlowsDirectlyAgain()
    {
        var before = await NatRulesAsync();
        await ApplyAsync();
        Assert.NotEqual(before, await NatRulesAsync());

        await RunProxyInitCheckedAsync(["--clean"], []);
        await RunProxyInitCheckedAsync(["--clean"], []); // nothing left to remove is not an error

        Assert.Equal(before, await NatRulesAsync());
        Assert.Equal("application", (await ConnectFromOutsideAsync(new IPEndPoint(_pod.InsideV4, ApplicationPort))).Listener);
        Assert.Equal("outside", (await ConnectFromInsideAsync(ApplicationUid, new IPEndPoint(_pod.OutsideV6, UpstreamPort))).Listener);
    }

    [Theory]
    [InlineData("APPMESH_APP_PORTS", "8080,http", "APPMESH_APP_PORTS must be comma-separated ports (1-65535), got 'http'")]
    [InlineData("APPMESH_EGRESS_IGNORED_PORTS", "70000", "APPMESH_EGRESS_IGNORED_PORTS must be comma-separated ports (1-65535), got '70000'")]
    [InlineData("APPMESH_EGRESS_IGNORED_IP", "10.0.0.0/8,metadata", "APPMESH_EGRESS_IGNORED_IP: 'metadata' is not an IPv4 address or CIDR")]
    [InlineData("APPMESH_EGRESS_IGNORED_IP", "192.0.2.300", "APPMESH_EGRESS_IGNORED_IP: '192.0.2.300' is not an IPv4 address or CIDR")]
    [InlineData("APPMESH_EGRESS_IGNORED_IP", "10.0.0.0/33", "APPMESH_EGRESS_IGNORED_IP: '10.0.0.0/33' is not an IPv4 address or CIDR")]
    [InlineData("APPMESH_EGRESS_IGNORED_IP", "2001:db8:::1", "APPMESH_EGRESS_IGNORED_IP: '2001:db8:::1' is not an IPv6 address or CIDR")]
    [InlineData("APPMESH_EGRESS_IGNORED_IP", "2001:db8::/129", "APPMESH_EGRESS_IGNORED_IP: '2001:db8::/129' is not an IPv6 address or CIDR")]
    [InlineData("APPMESH_EGRESS_IGNORED_IP", "1:2:3:4:5:6:7:8:9", "APPMESH_EGRESS_IGNORED_IP: '1:2:3:4:5:6:7:8:9' is not an IPv6 address or CIDR")]
    [InlineData("APPMESH_ENVOY_INGRESS_PORT", "0", "APPMESH_ENVOY_INGRESS_PORT must be a port (1-65535), got '0'")]
    [InlineData("APPMESH_IGNORE_UID", "envoy", "APPMESH_IGNORE_UID must be a numeric UID, got 'envoy'")]
    [InlineData("APPMESH_ENABLE_IPV6", "yes", "APPMESH_ENABLE_IPV6 must be 0 or 1, got 'yes'")]
    public async Task AnInvalidSetting_IsRefusedByName_BeforeAnyRuleChanges(string name, string value, string message)
    {
        var before = await NatRulesAsync();

        var result = await RunProxyInitAsync([], Settings((name, value)));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Output);
        Assert.Equal(before, await NatRulesAsync());
    }

    private static AddressFamily Family(string family) =>
        family == "ipv4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    private static Dictionary<string, string> Settings(params (string Name, string Value)[] overrides)
    {
        var settings = new Dictionary<string, string>
        {
            ["APPMESH_APP_PORTS"] = $"{ApplicationPort}",
            ["APPMESH_ENABLE_IPV6"] = "1",
        };
        foreach (var (name, value) in overrides)
        {
            settings[name] = value;
        }

        return settings;
    }

    private Task ApplyAsync(params (string Name, string Value)[] overrides) => RunProxyInitCheckedAsync([], Settings(overrides));

    private async Task RunProxyInitCheckedAsync(string[] arguments, Dictionary<string, string> settings)
    {
        var result = await RunProxyInitAsync(arguments, settings);
        Assert.True(result.ExitCode == 0, $"mesh-proxy-init exited with {result.ExitCode}:\n{result.Output}");
    }

    private Task<CommandResult> RunProxyInitAsync(string[] arguments, Dictionary<string, string> settings) =>
        _pod.ExecAsync([Repository.PathOf("deploy/proxy-init/mesh-proxy-init"), .. arguments], settings);

    /// <summary>Both families' nat tables, as iptables-save style rules.</summary>
    private async Task<string> NatRulesAsync()
    {
        var rules = new StringBuilder();
        foreach (var tool in new[] { "iptables", "ip6tables" })
        {
            var result = await _pod.ExecAsync([tool, "-w", "-t", "nat", "-S"]);
            Assert.True(result.ExitCode == 0, $"{tool} -t nat -S failed:\n{result.Output}");
            rules.AppendLine($"# {tool}").Append(result.Output);
        }

        return rules.ToString();
    }

    /// <summary>A client elsewhere on the network connects to the pod.</summary>
    private async Task<Arrival> ConnectFromOutsideAsync(IPEndPoint destination)
    {
        var token = Guid.NewGuid().ToString("n");
        using var client = new Socket(destination.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(destination);
        await client.SendAsync(Encoding.ASCII.GetBytes(token + "\n"));
        return await _listeners.WaitForAsync(token);
    }

    /// <summary>A process in the pod, running as <paramref name="uid"/>, connects out.</summary>
    private async Task<Arrival> ConnectFromInsideAsync(int uid, IPEndPoint destination)
    {
        var token = Guid.NewGuid().ToString("n");
        var result = await _pod.ExecAsync(
        [
            "setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups",
            "bash", "-c", "exec 3<>\"/dev/tcp/$1/$2\" && printf '%s\\n' \"$3\" >&3", "client",
            destination.Address.ToString(), destination.Port.ToString(), token,
        ]);
        Assert.True(result.ExitCode == 0, $"the client (uid {uid}) could not connect to {destination}:\n{result.Output}");
        return await _listeners.WaitForAsync(token);
    }
}
