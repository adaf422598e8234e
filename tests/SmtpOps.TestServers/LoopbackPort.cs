using System.Net;
using System.Net.Sockets;

namespace SmtpOps.TestServers;

/// <summary>Free ports on 127.0.0.1 for the test servers that must know their port before they listen (Azurite, HttpListener).</summary>
public static class LoopbackPort
{
    /// <summary>A port on 127.0.0.1 that nothing listens on now.</summary>
    public static int Free()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
