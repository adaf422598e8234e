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
using SmtpOps.Dkim;
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
    private ServerCertificateDecision? connectionCertificate;
    private RecordingSmtpClient? client;
    private BoundedSmtpStream? connection;
    private string? lastUser;
    private bool disposed;

    /// <summary>Creates a submitter; nothing is connected until the first message.</summary>
    /// <param name="options">The server and how to talk to it.</param>
    /// <exception cref="MessageValidationException">An option would inject a command (see <see cref="SmtpConnectionOptions.Validate"/>).</exception>
    public SmtpSubmitter(SmtpConnectionOptions options)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            throw new ArgumentException("No SMTP server is given.", nameof(options));
        }

        options.Validate();

        var authenticates = options.Credential is not null || options.CredentialProvider is not null;
        certificateCheck = new ServerCertificateCheck(options.Tls, options.Host, options.Tls.IsOpportunistic(options.EffectivePort, authenticates));
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
        => SendCoreAsync((message ?? throw new ArgumentNullException(nameof(message))).Message, message.DeliveryNotification, synchronous: false, cancellationToken, message.Smime);

    /// <summary>
    /// Sends an already composed message, with retries. The SMTP envelope is the message's From (MAIL FROM) and
    /// To, Cc and Bcc (RCPT TO), whatever Resent-* or Sender fields it carries.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="deliveryNotification">The delivery notifications to request.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>The server's answers.</returns>
    /// <exception cref="MessageValidationException">From does not hold exactly one mailbox, or To, Cc and Bcc hold none; nothing is sent.</exception>
    public Task<SmtpSendResult> SendAsync(MimeMessage message, DeliveryNotification deliveryNotification, CancellationToken cancellationToken = default)
        => SendCoreAsync(message, deliveryNotification, synchronous: false, cancellationToken);

    /// <summary>
    /// Sends a message prepared by <see cref="MessageComposer.Prepare"/>, with retries, on the calling
    /// thread with MailKit's blocking API: for a caller that owns its thread and would wait anyway (a
    /// PowerShell pipeline). Waiting on <see cref="SendAsync(ComposedMessage, CancellationToken)"/> there
    /// instead costs a thread-pool hand-off per server reply and spins the waiting thread against the
    /// pool on a small machine. Same failures, retries and security rules as the asynchronous form.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the submission (checked at least every quarter second while waiting for the server).</param>
    /// <returns>The server's answers.</returns>
    public SmtpSendResult Send(ComposedMessage message, CancellationToken cancellationToken = default)
    {
        var prepared = message ?? throw new ArgumentNullException(nameof(message));
        return SendCoreAsync(prepared.Message, prepared.DeliveryNotification, synchronous: true, cancellationToken, prepared.Smime).GetAwaiter().GetResult();
    }

    /// <summary>Says goodbye to the server (QUIT) and closes the connection, if one is open.</summary>
    /// <param name="cancellationToken">Cancels the disconnect.</param>
    /// <returns>A task that completes when the connection is closed.</returns>
    public Task DisconnectAsync(CancellationToken cancellationToken = default) => CloseAsync(quit: true, synchronous: false, cancellationToken);

    /// <summary>Says goodbye to the server (QUIT) and closes the connection on the calling thread; see <see cref="Send"/>.</summary>
    /// <param name="cancellationToken">Cancels the disconnect.</param>
    public void Disconnect(CancellationToken cancellationToken = default) => CloseAsync(quit: true, synchronous: true, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Closes the connection without QUIT.</summary>
    public void Dispose()
    {
        disposed = true;
        client?.Dispose();
        client = null;
    }

    // One implementation for both forms: with synchronous set, every network call below is MailKit's
    // blocking one, so the returned task has finished (only the TCP connect and a CredentialProvider,
    // once per connection, may still be waited on).
    private async Task<SmtpSendResult> SendCoreAsync(MimeMessage message, DeliveryNotification deliveryNotification, bool synchronous, CancellationToken cancellationToken, Smime.SmimeProtection? smime = null)
    {
        if (disposed)
        {
            throw new ObjectDisposedException(nameof(SmtpSubmitter));
        }

        // MAIL FROM and RCPT TO from From/To/Cc/Bcc, passed to MailKit explicitly: its SendAsync(MimeMessage)
        // would follow Resent-* and Sender header fields instead. Refused here, before connecting, when there is
        // no single sender or no recipient.
        var envelope = SmtpEnvelope.Of(message ?? throw new ArgumentNullException(nameof(message)));
        var stopwatch = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            SmtpSubmissionException failure;
            try
            {
                var connected = await ConnectAsync(synchronous, cancellationToken).ConfigureAwait(false);
                connected.BeginMessage(deliveryNotification);
                // The overloads without FormatOptions write with MailKit's transport defaults, which leave out
                // Bcc, Resent-Bcc and Content-Length: Bcc recipients stay in the envelope only.
                var response = synchronous
                    ? connected.Send(message, envelope.Sender, envelope.Recipients, cancellationToken)
                    : await connected.SendAsync(message, envelope.Sender, envelope.Recipients, cancellationToken).ConfigureAwait(false);
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
                    attempt,
                    connected.IsSecure ? connectionCertificate : null,
                    message.Headers[HeaderId.DkimSignature] is { } dkim ? AppliedDkimSignature.Parse(dkim) : null,
                    smime);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                failure = Classify(ex);
            }

            if (!failure.IsTransient || attempt > options.Retry.MaxRetries)
            {
                if (failure.Kind != SmtpFailureKind.Transient && failure.Kind != SmtpFailureKind.Permanent)
                {
                    await CloseAsync(quit: false, synchronous, CancellationToken.None).ConfigureAwait(false);
                }

                failure.Attempts = attempt;
                failure.Elapsed = stopwatch.Elapsed;
                throw failure;
            }

            // A 4xx leaves the session usable; anything else may have left it in an unknown state.
            if (failure.Kind != SmtpFailureKind.Transient)
            {
                await CloseAsync(quit: false, synchronous, CancellationToken.None).ConfigureAwait(false);
            }

            var delay = options.Retry.GetDelay(attempt);
            if (synchronous)
            {
                cancellationToken.WaitHandle.WaitOne(delay);
                cancellationToken.ThrowIfCancellationRequested();
            }
            else
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // Closes the connection: with QUIT when the session is in a known state (quit), without when it
    // may not be (a failure left it unknown). Either way the client is disposed and forgotten.
    private async Task CloseAsync(bool quit, bool synchronous, CancellationToken cancellationToken)
    {
        var current = client;
        client = null;
        if (current is null)
        {
            return;
        }

        try
        {
            if (connection is not null)
            {
                connection.Cancellation = cancellationToken;
            }

            if (current.IsConnected)
            {
                if (synchronous)
                {
                    current.Disconnect(quit, cancellationToken);
                }
                else
                {
                    await current.DisconnectAsync(quit, cancellationToken).ConfigureAwait(false);
                }
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

    private async Task<RecordingSmtpClient> ConnectAsync(bool synchronous, CancellationToken cancellationToken)
    {
        if (client is { IsConnected: true })
        {
            connection!.Cancellation = cancellationToken;
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
            CheckCertificateRevocation = options.Tls.ChecksRevocation,
        };
        if (!string.IsNullOrEmpty(options.HeloName))
        {
            fresh.LocalDomain = options.HeloName;
        }

        var security = options.Tls.ResolveSecurity(options.EffectivePort);
        certificateCheck.Reset();

        try
        {
            // MailKit reads replies without limits of its own: it talks over a stream that bounds each reply.
            var socket = await SmtpSocketConnector.ConnectAsync(options.Host, options.EffectivePort, options.Timeout, cancellationToken).ConfigureAwait(false);
            var bounded = new BoundedSmtpStream(socket, options.Timeout) { Cancellation = cancellationToken };
            connection = bounded;
            if (synchronous)
            {
                fresh.Connect(bounded, options.Host, options.EffectivePort, ToSecureSocketOptions(security), cancellationToken);
            }
            else
            {
                await fresh.ConnectAsync(bounded, options.Host, options.EffectivePort, ToSecureSocketOptions(security), cancellationToken).ConfigureAwait(false);
            }

            connectionCertificate = fresh.IsSecure ? certificateCheck.LastDecision : null;
            if (connectionCertificate is not null)
            {
                (logger as TranscriptLogger)?.Note($"TLS certificate of {options.Host}:{options.EffectivePort}: {connectionCertificate.Reason}");
            }

            ConnectionCount++;
            var credential = options.Credential
                ?? (options.CredentialProvider is { } provider ? await provider(cancellationToken).ConfigureAwait(false) : null);
            if (credential is not null)
            {
                lastUser = credential.UserName;
                await AuthenticateAsync(fresh, credential, synchronous, cancellationToken).ConfigureAwait(false);
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

    private async Task AuthenticateAsync(SmtpClient connected, SmtpCredential credential, bool synchronous, CancellationToken cancellationToken)
    {
        if (options.Tls.RefuseCredentials(connected.IsSecure, $"{options.Host}:{options.EffectivePort}") is { } refusal)
        {
            throw new SmtpSubmissionException(SmtpFailureKind.Security, refusal);
        }

        if (!connected.Capabilities.HasFlag(SmtpCapabilities.Authentication))
        {
            throw new SmtpSubmissionException(SmtpFailureKind.Authentication, $"{options.Host}:{options.EffectivePort} does not offer authentication (no AUTH in its EHLO reply).");
        }

        if (credential.IsAccessToken)
        {
            var oauth2 = new SaslMechanismOAuth2(credential.UserName, credential.Secret);
            if (synchronous)
            {
                connected.Authenticate(oauth2, cancellationToken);
            }
            else
            {
                await connected.AuthenticateAsync(oauth2, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            // MailKit picks the strongest mechanism that both sides offer.
            var password = new NetworkCredential(credential.UserName, credential.Secret);
            if (synchronous)
            {
                connected.Authenticate(password, cancellationToken);
            }
            else
            {
                await connected.AuthenticateAsync(password, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private SmtpSubmissionException Classify(Exception exception)
    {
        var server = $"{options.Host}:{options.EffectivePort}";
        if (BoundedFailure(exception) is { } bounded)
        {
            // The bounded stream's verdict, wherever MailKit or TLS wrapped it.
            return bounded is TimeoutException
                ? new SmtpSubmissionException(SmtpFailureKind.Timeout, $"{server} did not answer within {options.Timeout.TotalSeconds:0.#} s.", innerException: exception)
                : new SmtpSubmissionException(SmtpFailureKind.Protocol, $"{server} broke the limits of an SMTP reply: {bounded.Message} The connection was closed.", innerException: exception);
        }

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
            SslHandshakeException tls when certificateCheck.LastDecision is { Accepted: false } refused => new SmtpSubmissionException(
                SmtpFailureKind.Certificate,
                $"The certificate of {server} was refused: {refused.Reason}. {refused.Advice}",
                innerException: tls,
                certificate: refused),
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

    private static Exception? BoundedFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is InvalidDataException or TimeoutException)
            {
                return current;
            }
        }

        return null;
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
