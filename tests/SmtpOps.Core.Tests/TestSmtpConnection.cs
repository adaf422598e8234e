using System;
using System.Collections.Generic;
using SmtpOps.Smtp;
using SmtpOps.TestServers;

namespace SmtpOps.Tests;

/// <summary>The connection options and the user the SmtpSubmitter tests share, pointed at an in-process test server.</summary>
internal static class TestSmtpConnection
{
    public const string Password = "S3cret-Passw0rd!";

    public static readonly Dictionary<string, string> Users = new() { ["alice"] = Password };

    public static readonly RetryPolicy FastRetry = new() { MaxRetries = 2, InitialDelay = TimeSpan.FromMilliseconds(20) };

    /// <summary>Options for 127.0.0.1 and the server's port, its certificate pinned, fast retries.</summary>
    public static SmtpConnectionOptions Options(TestSmtpServer server, SmtpSecurity security, SmtpCredential? credential = null) => new()
    {
        Host = "127.0.0.1",
        Port = server.Port,
        Tls = new SmtpTlsPolicy
        {
            Security = security,
            CertificateThumbprints = server.Certificate is null ? Array.Empty<string>() : new[] { server.Certificate.Thumbprint },
        },
        Credential = credential,
        Retry = FastRetry,
        Timeout = TimeSpan.FromSeconds(10),
    };
}
