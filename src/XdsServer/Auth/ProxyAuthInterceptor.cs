using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Service.Status.V3;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Mesh.XdsServer.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Auth;

/// <summary>
/// Authenticates every call on the gRPC port before a service sees it (UNAUTHENTICATED), then authorises the
/// node: a discovery stream's first request, or a fetch, must name a node the caller may act for
/// (<see cref="ProxyActions.StreamAggregatedResources"/>; PERMISSION_DENIED otherwise), so a proxy gets only the
/// configuration of the node it proves it is. CSDS answers are cut down to the nodes the caller is allowed
/// <see cref="ProxyActions.DescribeProxyStatus"/> on.
/// </summary>
public sealed class ProxyAuthInterceptor(ProxyAuthenticator authenticator, ProxyIdentityParser parser, ILoggerFactory loggers) : Interceptor
{
    private readonly ILogger _logger = loggers.CreateLogger("Mesh.XdsServer.Auth");

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var principal = await AuthenticateAsync(context);
        if (request is DiscoveryRequest discovery)
        {
            Authorize(principal, discovery.Node, context);
        }

        var response = await continuation(request, context);
        return response is ClientStatusResponse status ? (TResponse)(object)Filter(principal, status) : response;
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var principal = await AuthenticateAsync(context);
        if (principal is AnonymousPrincipal)
        {
            await continuation(requestStream, responseStream, context);
        }
        else if (typeof(TResponse) == typeof(ClientStatusResponse))
        {
            await continuation(requestStream, new FilteringWriter<TResponse>(responseStream, r => (TResponse)(object)Filter(principal, (ClientStatusResponse)(object)r!)), context);
        }
        else
        {
            await continuation(new AuthorizingReader<TRequest>(requestStream, r => Authorize(principal, NodeOf(r), context)), responseStream, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var principal = await AuthenticateAsync(context);
        Authorize(principal, NodeOf(request), context);
        await continuation(request, responseStream, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var principal = await AuthenticateAsync(context);
        return await continuation(new AuthorizingReader<TRequest>(requestStream, r => Authorize(principal, NodeOf(r), context)), context);
    }

    private async Task<ProxyPrincipal> AuthenticateAsync(ServerCallContext context)
    {
        try
        {
            return await authenticator.AuthenticateAsync(context);
        }
        catch (RpcException e)
        {
            _logger.Refused(context.Method, context.Peer, e.StatusCode.ToString(), e.Status.Detail);
            throw;
        }
    }

    private static Node? NodeOf<T>(T request) => request switch
    {
        DiscoveryRequest r => r.Node,
        DeltaDiscoveryRequest r => r.Node,
        _ => null,
    };

    /// <summary>
    /// A request without a node, or with a node.id that names no proxy, passes: the session refuses it with
    /// INVALID_ARGUMENT and says why, and serves nothing.
    /// </summary>
    private void Authorize(ProxyPrincipal principal, Node? node, ServerCallContext context)
    {
        if (principal is AnonymousPrincipal || node is null || !parser.TryParse(node.Id, out var identity, out _))
        {
            return;
        }

        if (principal.Deny(ProxyActions.StreamAggregatedResources, identity) is { } reason)
        {
            var message = $"node.id '{node.Id}' is not a node this caller may act for: {reason}";
            _logger.Refused(context.Method, context.Peer, nameof(StatusCode.PermissionDenied), message);
            throw ProxyAuthenticator.PermissionDenied(message);
        }
    }

    private ClientStatusResponse Filter(ProxyPrincipal principal, ClientStatusResponse response)
    {
        if (principal is AnonymousPrincipal)
        {
            return response;
        }

        var filtered = new ClientStatusResponse();
        filtered.Config.AddRange(response.Config.Where(c =>
            parser.TryParse(c.Node?.Id, out var identity, out _) && principal.Deny(ProxyActions.DescribeProxyStatus, identity) is null));
        return filtered;
    }

    /// <summary>Checks the first request (the one that carries the node) before the session reads it.</summary>
    private sealed class AuthorizingReader<T>(IAsyncStreamReader<T> inner, Action<T> check) : IAsyncStreamReader<T>
    {
        private bool _checked;

        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await inner.MoveNext(cancellationToken))
            {
                return false;
            }

            if (!_checked)
            {
                check(inner.Current);
                _checked = true;
            }

            return true;
        }
    }

    private sealed class FilteringWriter<T>(IServerStreamWriter<T> inner, Func<T, T> filter) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message) => inner.WriteAsync(filter(message));

        public Task WriteAsync(T message, CancellationToken cancellationToken) => inner.WriteAsync(filter(message), cancellationToken);
    }
}
