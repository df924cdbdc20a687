using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Mesh.Deploy.Tests.Support;

/// <summary>
/// A throwaway network namespace joined to this one by a veth pair, with IPv4 and IPv6 on both ends: the "pod" whose
/// traffic mesh-proxy-init redirects, while the test process stays outside as the rest of the network. Needs root
/// (CAP_SYS_ADMIN and CAP_NET_ADMIN); when namespaces cannot be made, creation throws and the test fails, it never skips.
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private const int CloneNewNet = 0x40000000;

    private NetworkNamespace(string name, int subnet)
    {
        Name = name;
        OutsideV4 = IPAddress.Parse($"10.213.{subnet}.1");
        InsideV4 = IPAddress.Parse($"10.213.{subnet}.2");
        OutsideV6 = IPAddress.Parse($"fd00:213:{subnet:x}::1");
        InsideV6 = IPAddress.Parse($"fd00:213:{subnet:x}::2");
    }

    public string Name { get; }

    /// <summary>This side of the veth pair: "the network" the pod talks to.</summary>
    public IPAddress OutsideV4 { get; }

    public IPAddress OutsideV6 { get; }

    /// <summary>The pod's own address.</summary>
    public IPAddress InsideV4 { get; }

    public IPAddress InsideV6 { get; }

    public IPAddress Outside(AddressFamily family) => family == AddressFamily.InterNetwork ? OutsideV4 : OutsideV6;

    public IPAddress Inside(AddressFamily family) => family == AddressFamily.InterNetwork ? InsideV4 : InsideV6;

    public static async Task<NetworkNamespace> CreateAsync()
    {
        // Random names and subnets, so test classes running side by side (and leftovers of a killed run) never collide.
        var subnet = Random.Shared.Next(0, 256);
        var name = $"mesh-pi-{Environment.ProcessId}-{Random.Shared.Next(100000):d5}";
        var id = Random.Shared.Next(0x10000, 0xfffff).ToString("x");
        var outsideLink = $"mpi{id}o";
        var insideLink = $"mpi{id}i";
        var ns = new NetworkNamespace(name, subnet);
        await Command.RunCheckedAsync("ip", ["netns", "add", name]);
        try
        {
            await Ip("link", "add", outsideLink, "type", "veth", "peer", "name", insideLink, "netns", name);
            await Ip("addr", "add", $"{ns.OutsideV4}/24", "dev", outsideLink);
            // nodad: the addresses are usable at once instead of after duplicate address detection (about 2 s).
            await Ip("-6", "addr", "add", $"{ns.OutsideV6}/64", "dev", outsideLink, "nodad");
            await Ip("link", "set", outsideLink, "up");
            await ns.IpInsideAsync("addr", "add", $"{ns.InsideV4}/24", "dev", insideLink);
            await ns.IpInsideAsync("-6", "addr", "add", $"{ns.InsideV6}/64", "dev", insideLink, "nodad");
            await ns.IpInsideAsync("link", "set", insideLink, "up");
            // Loopback carries every redirected outbound connection (REDIRECT in OUTPUT goes to 127.0.0.1 / ::1).
            await ns.IpInsideAsync("link", "set", "lo", "up");
        }
        catch
        {
            await ns.DisposeAsync();
            throw;
        }

        return ns;
    }

    /// <summary>Runs a command inside the namespace (<c>ip netns exec</c>).</summary>
    public Task<CommandResult> ExecAsync(IEnumerable<string> command, IReadOnlyDictionary<string, string>? environment = null) =>
        Command.RunAsync("ip", ["netns", "exec", Name, .. command], environment);

    /// <summary>
    /// A TCP socket listening inside the namespace. A socket belongs to the namespace of the thread that made it, so a
    /// dedicated thread joins the namespace, makes and binds the socket, and goes back before it ends.
    /// </summary>
    public Socket Listen(IPEndPoint endpoint)
    {
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var home = File.OpenHandle("/proc/thread-self/ns/net");
                using var target = File.OpenHandle($"/run/netns/{Name}");
                Join(target);
                try
                {
                    socket = BoundSocket(endpoint);
                }
                finally
                {
                    Join(home);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException($"Could not listen on {endpoint} in {Name}.", failure);
    }

    /// <summary>A TCP socket listening in the test's own namespace, i.e. on the far side of the veth pair.</summary>
    public static Socket ListenOutside(IPEndPoint endpoint) => BoundSocket(endpoint);

    public async ValueTask DisposeAsync()
    {
        // Deleting the namespace takes the inside end of the veth pair with it, and so the pair.
        await Command.RunAsync("ip", ["netns", "del", Name]);
    }

    private static Socket BoundSocket(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = false;
        }

        socket.Bind(endpoint);
        socket.Listen();
        return socket;
    }

    private static void Join(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
        {
            throw new InvalidOperationException($"setns failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    private static Task<string> Ip(params string[] arguments) => Command.RunCheckedAsync("ip", arguments);

    private Task<string> IpInsideAsync(params string[] arguments) =>
        Command.RunCheckedAsync("ip", ["netns", "exec", Name, "ip", .. arguments]);

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nsType);
}
