using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.ExceptionServices;
using System.Security;
using System.Threading;
using SmtpOps.Budgets;
using SmtpOps.Messages;
using SmtpOps.PowerShell.Parameters;
using SmtpOps.Smtp;

namespace SmtpOps.PowerShell.Commands.Delivery;

/// <summary>
/// Sends over SMTP: one connection for the whole pipeline, or with -ConnectionCount N Core's pool of N connections,
/// whose outcomes are written here, on the pipeline thread, in input order.
/// </summary>
internal sealed class SmtpRoute : DeliveryRoute
{
    private readonly SmtpConnectionOptions connection;
    private readonly PSCredential? credential;
    private readonly SecureString? accessToken;
    private readonly string? userName;
    private readonly int connectionCount;
    private readonly CancellationToken stopping;
    private readonly HashSet<string> certificatesWarnedAbout = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<BudgetAdmission?> admissions = new();
    private SmtpSubmitter? submitter;
    private ParallelSmtpSubmitter? pool;

    public SmtpRoute(DeliveryOutput output, SmtpConnectionOptions connection, PSCredential? credential, SecureString? accessToken, string? userName, int connectionCount, CancellationToken stopping)
        : base(output)
    {
        this.connection = connection;
        this.credential = credential;
        this.accessToken = accessToken;
        this.userName = userName;
        this.connectionCount = connectionCount;
        this.stopping = stopping;
    }

    private string Target => $"{connection.Host}:{connection.EffectivePort}";

    public override string DescribeAction(ComposedMessage message) => $"Send mail via {Target}";

    public override void Deliver(ComposedMessage message, MailMessageDefinition definition)
    {
        if (connectionCount > 1)
        {
            // The pool owns the message once posted (it disposes it after sending).
            pool ??= new ParallelSmtpSubmitter(WithCredential(message), connectionCount);
            admissions.Enqueue(Admit(definition, stopping, WriteReady));
            PostToPool(message, definition);
            return;
        }

        using (message)
        {
            SmtpSendResult result;
            var admission = Admit(definition, stopping);
            try
            {
                // The OAuth2 mailbox defaults to the sender of the first message.
                submitter ??= new SmtpSubmitter(WithCredential(message));
                // Blocking I/O on the pipeline thread: waiting on SendAsync here cost a thread-pool
                // hand-off per server reply and a spinning waiter (most of the time per message).
                result = submitter.Send(message, stopping);
            }
            catch (SmtpSubmissionException ex)
            {
                WriteFailure(ex, definition);
                return;
            }
            finally
            {
                Release(admission);
            }

            WriteSent(result);
        }
    }

    /// <summary>Says QUIT, or waits for the pool's last messages.</summary>
    public override void Complete()
    {
        submitter?.Disconnect(stopping);
        if (pool is not null)
        {
            pool.CompleteAdding();
            while (pool.TakeNext(stopping) is { } outcome)
            {
                WriteOutcome(outcome);
            }
        }
    }

    public override void Dispose()
    {
        submitter?.Dispose();
        pool?.Dispose();
    }

    private SmtpConnectionOptions WithCredential(ComposedMessage message) => connection with
    {
        Credential = CredentialParameters.ToSmtpCredential(credential, accessToken, userName ?? message.SenderAddress),
    };

    // At most 2N messages wait composed (attachments open) at any time.
    private void PostToPool(ComposedMessage message, MailMessageDefinition definition)
    {
        pool!.Post(message, definition);
        WriteReady();

        while (pool.Pending >= 2 * connectionCount && pool.TakeNext(stopping) is { } next)
        {
            WriteOutcome(next);
        }
    }

    private void WriteReady()
    {
        while (pool!.TryTakeNext() is { } ready)
        {
            WriteOutcome(ready);
        }
    }

    // Outcomes come in input order, as the admissions were queued: each one's send has ended by now.
    private void WriteOutcome(SmtpSubmissionOutcome outcome)
    {
        if (admissions.Count > 0)
        {
            Release(admissions.Dequeue());
        }

        if (outcome.Result is { } result)
        {
            WriteSent(result);
            return;
        }

        if (outcome.Error is not SmtpSubmissionException ex)
        {
            // Cancelled (Ctrl+C) or a fault: as the single connection would have thrown it.
            ExceptionDispatchInfo.Capture(outcome.Error!).Throw();
            return;
        }

        WriteFailure(ex, (MailMessageDefinition)outcome.State!);
    }

    private void WriteFailure(SmtpSubmissionException ex, MailMessageDefinition definition)
    {
        var record = SmtpErrorRecords.FromSubmission(ex, definition, Target);
        if (SmtpErrorRecords.EndsPipeline(ex))
        {
            Output.FailedForAll(record);
            return;
        }

        Output.Failed(record);
    }

    private void WriteSent(SmtpSendResult result)
    {
        WarnAboutCertificate(result.Certificate);
        foreach (var rejected in result.Rejected)
        {
            Output.Cmdlet.WriteError(SmtpErrorRecords.RecipientRejected(rejected));
        }

        Output.Sent(result, result.Subject);
    }

    // Once per certificate and pipeline: mail went encrypted but unvalidated, or its revocation is unknown.
    private void WarnAboutCertificate(ServerCertificateDecision? certificate)
    {
        if (certificate is { WarrantsWarning: true } && certificatesWarnedAbout.Add(certificate.Sha256Thumbprint))
        {
            Output.Cmdlet.WriteWarning($"The certificate of {Target}: {certificate.Reason}. {certificate.Advice}");
        }
    }
}
