using System.Reflection;
using Envoy.Service.Discovery.V3;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Mesh.XdsServer.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Binds a generated gRPC service the way Grpc.AspNetCore's own binder does (its <c>BindService</c> method, each
/// handler taken from the service class by name), except that a method whose request is a
/// <c>DiscoveryRequest</c> or <c>DeltaDiscoveryRequest</c> reads it with <see cref="NodeSlicingMarshaller"/>, and one
/// whose response is a <c>DeltaDiscoveryResponse</c> or <c>DiscoveryResponse</c> writes a shared response's one encoding
/// (<see cref="SharedDeltaResponses"/>, <see cref="SharedSotwResponses"/>).
/// Registered in place of the default binder (see <c>XdsServerHosting</c>), since a method cannot be bound twice.
/// </summary>
public sealed class NodeSlicingMethodProvider<TService>(NodeInterner interner, XdsMetrics metrics, ILoggerFactory loggers) : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var attribute = typeof(TService).GetCustomAttribute<BindServiceMethodAttribute>(inherit: true);
        if (attribute is null)
        {
            return;
        }

        var bind = attribute.BindType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .FirstOrDefault(m => m.Name == attribute.BindMethodName && m.GetParameters() is [{ } first, { } second]
                && first.ParameterType == typeof(ServiceBinderBase) && second.ParameterType.IsAssignableFrom(typeof(TService)))
            ?? throw new InvalidOperationException($"{attribute.BindType}.{attribute.BindMethodName}(ServiceBinderBase, …) not found for {typeof(TService)}");
        // A request that does not decode is refused before its stream has a session (and so a stream id): logged
        // here, under the protocol's category, and counted with the sessions' own refusals.
        var logger = loggers.CreateLogger("Mesh.XdsServer.Protocol");
        bind.Invoke(null, [new Binder(context, interner, (method, reason) =>
        {
            metrics.StreamRejected("malformed_request");
            logger.MalformedRequestRejected(method, reason);
        }), null]);
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context, NodeInterner interner, Action<string, string> malformed) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(WithMarshaller(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(WithMarshaller(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(WithMarshaller(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(WithMarshaller(method), metadata, invoker);
        }

        private Method<TRequest, TResponse> WithMarshaller<TRequest, TResponse>(Method<TRequest, TResponse> method)
            where TRequest : class
            where TResponse : class
        {
            void Malformed(string reason) => malformed(method.FullName, reason);
            object? marshaller = typeof(TRequest) == typeof(DiscoveryRequest) ? NodeSlicingMarshaller.ForSotw(interner, Malformed)
                : typeof(TRequest) == typeof(DeltaDiscoveryRequest) ? NodeSlicingMarshaller.ForDelta(interner, Malformed)
                : null;
            // Responses that the streams of one identity share are written from their one encoding.
            var responseMarshaller = method.ResponseMarshaller switch
            {
                Marshaller<DeltaDiscoveryResponse> delta => (Marshaller<TResponse>)(object)SharedDeltaResponses.Marshaller(delta),
                Marshaller<DiscoveryResponse> sotw => (Marshaller<TResponse>)(object)SharedSotwResponses.Marshaller(sotw),
                _ => method.ResponseMarshaller,
            };
            return marshaller is null && ReferenceEquals(responseMarshaller, method.ResponseMarshaller)
                ? method
                : new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, (Marshaller<TRequest>?)marshaller ?? method.RequestMarshaller, responseMarshaller);
        }

        /// <summary>The service's override of the method, and its attributes and the class's as endpoint metadata (as the default binder does).</summary>
        private static (TDelegate Invoker, List<object> Metadata) Handler<TDelegate>(string name, params Type[] parameters)
            where TDelegate : Delegate
        {
            var method = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
                ?? throw new InvalidOperationException($"{typeof(TService)} has no method {name}");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(method.GetCustomAttributes(inherit: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), method), metadata);
        }
    }
}
