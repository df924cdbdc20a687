using Envoy.Config.Listener.V3;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>Filter chains of an inbound port under the listener's TLS mode.</summary>
internal static class ListenerChains
{
    /// <summary>
    /// STRICT: one chain that terminates TLS. PERMISSIVE: a TLS chain chosen when <c>tls_inspector</c> sees a
    /// ClientHello, plus a plaintext chain for everything else (Envoy prefers the chain that names the transport
    /// protocol). DISABLED or no TLS: one plaintext chain.
    /// </summary>
    public static IEnumerable<FilterChain> Inbound(string name, int port, Specs.PortProtocol protocol, Specs.ListenerTls? tls, Filter filter, string where, TranslationContext context)
    {
        var mode = tls?.Mode ?? Specs.ListenerTlsMode.Disabled;
        if (mode != Specs.ListenerTlsMode.Disabled)
        {
            var secured = new FilterChain
            {
                Name = mode == Specs.ListenerTlsMode.Permissive ? name + "_tls" : name,
                FilterChainMatch = new FilterChainMatch { DestinationPort = (uint)port },
                Filters = { filter.Clone() },
                TransportSocket = Tls.Socket(Tls.Downstream(tls!, protocol, where, context)),
            };
            if (mode == Specs.ListenerTlsMode.Permissive)
            {
                secured.FilterChainMatch.TransportProtocol = "tls";
            }

            yield return secured;
        }

        if (mode != Specs.ListenerTlsMode.Strict)
        {
            yield return new FilterChain
            {
                Name = name,
                FilterChainMatch = new FilterChainMatch { DestinationPort = (uint)port },
                Filters = { filter },
            };
        }
    }
}
