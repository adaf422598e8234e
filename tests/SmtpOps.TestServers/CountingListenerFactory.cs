using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace SmtpOps.TestServers;

/// <summary>
/// The library's listener factory, plus: reports the bound port (for port 0) and calls back for every
/// accepted TCP connection, before any TLS handshake (the library's SessionCreated event comes after it).
/// </summary>
internal sealed class CountingListenerFactory(Action<ISessionContext> connectionAccepted) : EndpointListenerFactory
{
    readonly TaskCompletionSource<int> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<int> Started => _started.Task;

    public override IEndpointListener CreateListener(IEndpointDefinition endpointDefinition) =>
        new CountingListener(base.CreateListener(endpointDefinition), connectionAccepted);

    protected override void OnEndpointStarted(EndpointEventArgs args)
    {
        base.OnEndpointStarted(args);
        _started.TrySetResult(((IPEndPoint)args.LocalEndPoint).Port);
    }

    sealed class CountingListener(IEndpointListener inner, Action<ISessionContext> connectionAccepted) : IEndpointListener
    {
        public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
        {
            var pipe = await inner.GetPipeAsync(context, cancellationToken).ConfigureAwait(false);
            connectionAccepted(context);
            return pipe;
        }

        public void Dispose() => inner.Dispose();
    }
}
