using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
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
            DisableNagle(pipe);
            connectionAccepted(context);
            return pipe;
        }

        public void Dispose() => inner.Dispose();

        // The library writes each reply on its own and leaves Nagle's algorithm on: to a pipelining client
        // (MailKit sends MAIL, RCPT and DATA together) the second reply then waits for the client's delayed
        // ACK, about 40 ms per message on Linux. Real MTAs do not stall like that; the library exposes no
        // option, so reach the NetworkStream inside its pipe.
        static void DisableNagle(ISecurableDuplexPipe pipe)
        {
            var stream = pipe.GetType()
                .GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
                .Where(field => typeof(Stream).IsAssignableFrom(field.FieldType))
                .Select(field => field.GetValue(pipe))
                .OfType<NetworkStream>()
                .FirstOrDefault();
            if (stream is not null)
            {
                stream.Socket.NoDelay = true;
            }
        }
    }
}
