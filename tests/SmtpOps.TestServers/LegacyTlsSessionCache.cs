using System;
using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;

namespace SmtpOps.TestServers;

/// <summary>
/// TLS sessions by session id, shared by several <see cref="LegacyTlsSmtpServer"/>s: a client that made a session with
/// one port can resume it on another, which then presents no certificate of its own (Postfix does this with one set
/// of session-ticket keys for all its listeners).
/// </summary>
public sealed class LegacyTlsSessionCache
{
    readonly ConcurrentDictionary<string, TlsSession> _sessions = new();
    int _resumptions;

    /// <summary>How many handshakes resumed a cached session (abbreviated handshakes, no certificate sent).</summary>
    public int Resumptions => System.Threading.Volatile.Read(ref _resumptions);

    internal void Store(TlsSession session) => _sessions[Convert.ToHexString(session.SessionID)] = session;

    internal TlsSession? Find(byte[] sessionId)
    {
        if (_sessions.TryGetValue(Convert.ToHexString(sessionId), out var session) && session.IsResumable)
        {
            System.Threading.Interlocked.Increment(ref _resumptions);
            return session;
        }

        return null;
    }
}
