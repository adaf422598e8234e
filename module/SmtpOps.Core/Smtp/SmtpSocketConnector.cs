using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Smtp;

/// <summary>
/// Opens the TCP connection an SMTP conversation runs on, before <see cref="BoundedSmtpStream"/> takes it over: the name
/// lookup and each connection attempt bounded by the timeout (a socket still connecting when time is up is closed).
/// </summary>
internal static class SmtpSocketConnector
{
    /// <summary>Connects to the first address of <paramref name="host"/> that answers, each try bounded by the timeout.</summary>
    /// <param name="host">A host name or address.</param>
    /// <param name="port">The port.</param>
    /// <param name="timeout">The time the name lookup and each connection attempt may take.</param>
    /// <param name="cancellationToken">Cancels the connection.</param>
    /// <returns>The connected socket.</returns>
    public static async Task<Socket> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host, out var literal)
            ? new[] { literal }
            : await WithinAsync(System.Net.Dns.GetHostAddressesAsync(host), timeout, $"{host} did not resolve within {timeout.TotalSeconds:0.#} s.", null, cancellationToken).ConfigureAwait(false);
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await WithinAsync(ConnectSocketAsync(socket, address, port), timeout, $"{host}:{port} did not accept the connection within {timeout.TotalSeconds:0.#} s.", socket, cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static async Task<T> WithinAsync<T>(Task<T> task, TimeSpan timeout, string message, Socket? socket, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var finished = await Task.WhenAny(task, Task.Delay(timeout, limit.Token)).ConfigureAwait(false);
        if (finished == task)
        {
            limit.Cancel();
            return await task.ConfigureAwait(false);
        }

        // The socket's close ends the pending connect; observe its failure so that it is not unobserved.
        socket?.Dispose();
        _ = task.ContinueWith(t => t.Exception, TaskScheduler.Default);
        cancellationToken.ThrowIfCancellationRequested();
        throw new TimeoutException(message);
    }

    private static async Task<bool> ConnectSocketAsync(Socket socket, IPAddress address, int port)
    {
        await socket.ConnectAsync(address, port).ConfigureAwait(false);
        return true;
    }
}
