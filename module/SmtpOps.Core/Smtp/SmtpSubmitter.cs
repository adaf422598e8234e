using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SmtpOps.Messages;

namespace SmtpOps.Smtp;

/// <summary>
/// Submits messages to one SMTP server over one reused connection: connects lazily on the
/// first message, authenticates only over TLS unless told otherwise, reconnects when the
/// server drops the connection, and retries transient failures with backoff.
/// Not thread-safe: use one submitter per sequence of messages.
/// </summary>
public sealed class SmtpSubmitter : IDisposable
{
    private readonly SmtpConnectionOptions options;
    private readonly ServerCertificateCheck certificateCheck;
    private RecordingSmtpClient? client;
    private string? lastUser;
    private bool disposed;

    /// <summary>Creates a submitter; nothing is connected until the first message.</summary>
    /// <param name="options">The server and how to talk to it.</param>
    public SmtpSubmitter(SmtpConnectionOptions options)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            throw new ArgumentException("No SMTP server is given.", nameof(options));
        }

        certificateCheck = new ServerCertificateCheck(options.SkipCertificateCheck, options.CertificateThumbprints);
    }

    /// <summary>Gets how many connections this submitter has opened so far.</summary>
    public int ConnectionCount { get; private set; }

    /// <summary>Gets whether a connection is currently open.</summary>
    public bool IsConnected => client?.IsConnected == true;

    /// <summary>
    /// Validates and sends one message. Bad input fails with <see cref="MessageValidationException"/>
    /// before anything is sent; delivery failures throw <see cref="SmtpSubmissionException"/>.
    /// Recipients the server refuses are reported in the result while the others get the message.
    /// </summary>
    /// <param name="definition">The message.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>The server's answers.</returns>
    public async Task<SmtpSendResult> SendAsync(MailMessageDefinition definition, CancellationToken cancellationToken = default)
    {
        using var message = MessageComposer.Compose(definition);
        return await SendAsync(message, definition.DeliveryNotification, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a message prepared by <see cref="MessageComposer.Prepare"/>, with retries.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>The server's answers.</returns>
    public Task<SmtpSendResult> SendAsync(ComposedMessage message, CancellationToken cancellationToken = default)
        => SendAsync((message ?? throw new ArgumentNullException(nameof(message))).Message, message.DeliveryNotification, cancellationToken);

    /// <summary>Sends an already composed message, with retries.</summary>
    /// <param name="message">The message.</param>
    /// <param name="deliveryNotification">The delivery notifications to request.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>The server's answers.</returns>
    public async Task<SmtpSendResult> SendAsync(MimeMessage message, DeliveryNotification deliveryNotification, CancellationToken cancellationToken = default)
    {
        if (disposed)
        {
            throw new ObjectDisposedException(nameof(SmtpSubmitter));
        }

        var stopwatch = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            SmtpSubmissionException failure;
            try
            {
                var connected = await ConnectAsync(cancellationToken).ConfigureAwait(false);
                connected.BeginMessage(deliveryNotification);
                var response = await connected.SendAsync(message, cancellationToken).ConfigureAwait(false);
                return new SmtpSendResult(
                    message.MessageId ?? string.Empty,
                    message.Subject ?? string.Empty,
                    options.Host,
                    options.EffectivePort,
                    connected.IsSecure ? connected.SslProtocol.ToString() : "None",
                    connected.IsSecure ? $"{connected.SslCipherAlgorithm} ({connected.SslCipherStrength}-bit)" : null,
                    connected.Recipients,
                    response,
                    stopwatch.Elapsed,
                    attempt);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                failure = Classify(ex);
            }

            if (!failure.IsTransient || attempt > options.Retry.MaxRetries)
            {
                if (failure.Kind != SmtpFailureKind.Transient && failure.Kind != SmtpFailureKind.Permanent)
                {
                    await DropConnectionAsync().ConfigureAwait(false);
                }

                throw failure;
            }

            // A 4xx leaves the session usable; anything else may have left it in an unknown state.
            if (failure.Kind != SmtpFailureKind.Transient)
            {
                await DropConnectionAsync().ConfigureAwait(false);
            }

            await Task.Delay(options.Retry.GetDelay(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Says goodbye to the server (QUIT) and closes the connection, if one is open.</summary>
    /// <param name="cancellationToken">Cancels the disconnect.</param>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        var current = client;
        client = null;
        if (current is null)
        {
            return;
        }

        try
        {
            if (current.IsConnected)
            {
                await current.DisconnectAsync(true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or SmtpCommandException or ServiceNotConnectedException)
        {
            // The server is gone already; nothing is lost by not saying QUIT.
        }
        finally
        {
            current.Dispose();
        }
    }

    /// <summary>Closes the connection without QUIT.</summary>
    public void Dispose()
    {
        disposed = true;
        client?.Dispose();
        client = null;
    }

    private async Task<RecordingSmtpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        if (client is { IsConnected: true })
        {
            return client;
        }

        client?.Dispose();
        client = null;

        IProtocolLogger logger = options.TranscriptPath is not null ? new TranscriptLogger(options.TranscriptPath)
            : options.TranscriptSink is not null ? new TranscriptLogger(options.TranscriptSink)
            : new NullProtocolLogger();
        var fresh = new RecordingSmtpClient(logger)
        {
            Timeout = (int)Math.Min(int.MaxValue, options.Timeout.TotalMilliseconds),
            ServerCertificateValidationCallback = certificateCheck.Validate,
        };
        if (!string.IsNullOrEmpty(options.HeloName))
        {
            fresh.LocalDomain = options.HeloName;
        }

        try
        {
            await fresh.ConnectAsync(options.Host, options.EffectivePort, ToSecureSocketOptions(options.Security), cancellationToken).ConfigureAwait(false);
            ConnectionCount++;
            var credential = options.Credential
                ?? (options.CredentialProvider is { } provider ? await provider(cancellationToken).ConfigureAwait(false) : null);
            if (credential is not null)
            {
                lastUser = credential.UserName;
                await AuthenticateAsync(fresh, credential, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            fresh.Dispose();
            throw;
        }

        client = fresh;
        return fresh;
    }

    private async Task AuthenticateAsync(SmtpClient connected, SmtpCredential credential, CancellationToken cancellationToken)
    {
        if (!connected.IsSecure && !options.AllowUnencryptedAuthentication)
        {
            throw new SmtpSubmissionException(
                SmtpFailureKind.Security,
                $"Refusing to send credentials to {options.Host}:{options.EffectivePort} over a connection without TLS. Use Security StartTls or SslOnConnect, or allow unencrypted authentication explicitly.");
        }

        if (!connected.Capabilities.HasFlag(SmtpCapabilities.Authentication))
        {
            throw new SmtpSubmissionException(SmtpFailureKind.Authentication, $"{options.Host}:{options.EffectivePort} does not offer authentication (no AUTH in its EHLO reply).");
        }

        if (credential.IsAccessToken)
        {
            await connected.AuthenticateAsync(new SaslMechanismOAuth2(credential.UserName, credential.Secret), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await connected.AuthenticateAsync(new NetworkCredential(credential.UserName, credential.Secret), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DropConnectionAsync()
    {
        var current = client;
        client = null;
        if (current is not null)
        {
            try
            {
                await current.DisconnectAsync(false, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException)
            {
                // Already broken.
            }
            finally
            {
                current.Dispose();
            }
        }
    }

    private SmtpSubmissionException Classify(Exception exception)
    {
        var server = $"{options.Host}:{options.EffectivePort}";
        return exception switch
        {
            SmtpSubmissionException own => own,
            SmtpCommandException command => new SmtpSubmissionException(
                (int)command.StatusCode is >= 400 and < 500 ? SmtpFailureKind.Transient : SmtpFailureKind.Permanent,
                command.ErrorCode == SmtpErrorCode.RecipientNotAccepted ? command.Message : $"{server} refused the message: {(int)command.StatusCode} {command.Message}",
                (int)command.StatusCode,
                command,
                command.ErrorCode == SmtpErrorCode.RecipientNotAccepted ? client?.Recipients : null),
            AuthenticationException auth => new SmtpSubmissionException(
                SmtpFailureKind.Authentication,
                $"Authentication to {server} as '{lastUser}' failed: {auth.Message}",
                innerException: auth),
            SslHandshakeException tls when certificateCheck.LastRefusal is { } refusal => new SmtpSubmissionException(
                SmtpFailureKind.Certificate,
                $"The certificate of {server} is not trusted: {refusal}. Fix the certificate, pin it by its thumbprint, or skip the check explicitly.",
                innerException: tls),
            SslHandshakeException tls => new SmtpSubmissionException(
                SmtpFailureKind.Security,
                $"The TLS handshake with {server} failed: {tls.InnerException?.Message ?? tls.Message}",
                innerException: tls),
            NotSupportedException notSupported => new SmtpSubmissionException(
                SmtpFailureKind.Security,
                $"{server} does not support what was asked for: {notSupported.Message}",
                innerException: notSupported),
            TimeoutException or IOException { InnerException: TimeoutException } or OperationCanceledException => new SmtpSubmissionException(
                SmtpFailureKind.Timeout,
                $"{server} did not answer within {options.Timeout.TotalSeconds:0.#} s.",
                innerException: exception),
            SocketException socket => new SmtpSubmissionException(
                SmtpFailureKind.Connection,
                $"Cannot connect to {server}: {socket.Message}",
                innerException: socket),
            IOException or SmtpProtocolException or ServiceNotConnectedException => new SmtpSubmissionException(
                SmtpFailureKind.Connection,
                $"The connection to {server} was lost: {exception.Message}",
                innerException: exception),
            _ => throw new InvalidOperationException($"Unexpected failure sending through {server}: {exception.Message}", exception),
        };
    }

    private static SecureSocketOptions ToSecureSocketOptions(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.StartTlsWhenAvailable => SecureSocketOptions.StartTlsWhenAvailable,
        _ => SecureSocketOptions.Auto,
    };
}
