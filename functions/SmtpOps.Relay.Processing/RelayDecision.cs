using System;
using SmtpOps.Acs;
using SmtpOps.Graph;
using SmtpOps.Messages;
using SmtpOps.Smtp;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// Every rule of what becomes of a delivery, in one place and without I/O: from what is known about it
/// (the envelope, the policy's verdict, the ledger's claim, the message, the smarthost's failure and
/// the dequeue count) to Sent, Duplicate, Retry after a delay, or a dead letter with its kind and reason
/// (GaveUp when transient failures outlast <see cref="MaxAttempts"/>). <see cref="RelayProcessor"/> does the
/// Storage and SMTP work around it; the queue handler asks it whether a retry may still be postponed.
/// </summary>
public sealed class RelayDecision
{
    /// <summary>The retry reason of a message another delivery is sending now (its ledger claim is in flight).</summary>
    public const string InFlightReason = "InFlight";

    /// <summary>The retry reason of a throttling reply (Exchange Online's 432 4.3.2 concurrent connections limit).</summary>
    public const string ThrottledReason = "Throttled";

    /// <summary>The reason of a delivery deferred because the sending budget is used up.</summary>
    public const string BudgetReason = "Budget";

    /// <summary>The retry reason of a Storage request that failed (403 while the relay's roles are being fixed, 5xx, no answer).</summary>
    public const string StorageReason = "Storage";

    /// <summary>Initializes a new instance of the <see cref="RelayDecision"/> class.</summary>
    /// <param name="maxAttempts">After how many deliveries a transient failure is given up (the host's maxDequeueCount).</param>
    /// <param name="backoff">The wait before each redelivery: the same exponential backoff as a submitter's own retries.</param>
    public RelayDecision(int maxAttempts, RetryPolicy backoff)
    {
        MaxAttempts = maxAttempts >= 1 ? maxAttempts : throw new ArgumentOutOfRangeException(nameof(maxAttempts), "At least one attempt.");
        Backoff = backoff ?? throw new ArgumentNullException(nameof(backoff));
    }

    /// <summary>Gets after how many deliveries a transient failure is given up.</summary>
    public int MaxAttempts { get; }

    /// <summary>Gets the backoff between deliveries.</summary>
    public RetryPolicy Backoff { get; }

    /// <summary>Gets the wait before the next delivery after <paramref name="dequeueCount"/> deliveries.</summary>
    /// <param name="dequeueCount">How many times the message was delivered (1 for the first).</param>
    /// <returns>The delay.</returns>
    public TimeSpan RetryDelayAfter(long dequeueCount) => Backoff.GetDelay((int)Math.Min(Math.Max(dequeueCount, 1), int.MaxValue));

    /// <summary>
    /// Gets whether a retry may still be postponed by the relay's own backoff. Not on the last delivery: there the
    /// host moves the message to the poison queue, and postponing it would change its pop receipt under the host.
    /// </summary>
    /// <param name="dequeueCount">How many times the message was delivered.</param>
    /// <returns>Whether to postpone.</returns>
    public bool MayPostpone(long dequeueCount) => dequeueCount < MaxAttempts;

    /// <summary>The smarthost accepted the message.</summary>
    /// <param name="response">The smarthost's answer, with any refused recipients.</param>
    /// <returns>Sent.</returns>
    public RelayOutcome Sent(string response) => new() { Kind = RelayOutcomeKind.Sent, Detail = response };

    /// <summary>The envelope cannot be read, or something it points to is missing: never retried.</summary>
    /// <param name="reason">What is wrong.</param>
    /// <returns>A dead letter of kind <see cref="RelayFailureKind.Envelope"/>.</returns>
    public RelayOutcome InvalidEnvelope(string reason) => DeadLetter(RelayFailureKind.Envelope, reason);

    /// <summary>The relay's policy refuses the message (sender, recipients, size): never retried.</summary>
    /// <param name="violation">What the policy refuses.</param>
    /// <returns>A dead letter of kind <see cref="RelayFailureKind.Policy"/>.</returns>
    public RelayOutcome PolicyRefused(string violation) => DeadLetter(RelayFailureKind.Policy, $"policy: {violation}");

    /// <summary>What the idempotency ledger's claim means for this delivery.</summary>
    /// <param name="claim">The claim's result.</param>
    /// <param name="idempotencyKey">The envelope's key.</param>
    /// <param name="dequeueCount">How many times the message was delivered.</param>
    /// <returns>Duplicate (sent already), Retry (another delivery holds the key), or <c>null</c>: go on and send.</returns>
    public RelayOutcome? AfterClaim(LedgerClaim claim, string idempotencyKey, long dequeueCount) => claim switch
    {
        LedgerClaim.AlreadySent => new RelayOutcome { Kind = RelayOutcomeKind.Duplicate, Detail = $"idempotency key {idempotencyKey} was sent already; not sent again" },
        LedgerClaim.InFlight => Retry(InFlightReason, "another delivery is sending this message", null, dequeueCount),
        _ => null,
    };

    /// <summary>The message cannot be composed (an address, header or attachment is invalid): never retried.</summary>
    /// <param name="error">The validation error.</param>
    /// <param name="message">Its message.</param>
    /// <returns>A dead letter of kind <see cref="RelayFailureKind.Message"/>.</returns>
    public RelayOutcome InvalidMessage(MessageValidationError error, string message) => DeadLetter(RelayFailureKind.Message, $"{error}: {message}");

    /// <summary>S/MIME cannot be applied (a sender the certificate is not for, a recipient without a certificate): never retried.</summary>
    /// <param name="reason">Why, naming the sender or recipients.</param>
    /// <returns>A dead letter of kind <see cref="RelayFailureKind.Message"/>.</returns>
    public RelayOutcome SmimeRefused(string reason) => DeadLetter(RelayFailureKind.Message, $"smime: {reason}");

    /// <summary>
    /// The smarthost did not take the message. A 5xx is final; anything else (4xx, throttling, lost connection,
    /// timeout, and authentication, TLS or certificate trouble that an operator can fix while the queue still
    /// holds the message) is retried with the backoff until <see cref="MaxAttempts"/>, then given up.
    /// </summary>
    /// <param name="failure">The failure.</param>
    /// <param name="dequeueCount">How many times the message was delivered.</param>
    /// <returns>Retry, or a dead letter of kind <see cref="RelayFailureKind.Smtp"/> or <see cref="RelayFailureKind.GaveUp"/>.</returns>
    public RelayOutcome AfterFailure(SmtpSubmissionException failure, long dequeueCount)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.Kind == SmtpFailureKind.Permanent)
        {
            return DeadLetter(RelayFailureKind.Smtp, failure.Message, failure.StatusCode);
        }

        // A refused certificate is the operator's to fix: say where in the relay's settings.
        var reason = failure.Kind == SmtpFailureKind.Certificate
            ? $"{failure.Message} Relay settings: Relay:Smarthost:TrustedRootCertificates, Relay:Smarthost:CertificateThumbprints, Relay:Smarthost:RevocationMode."
            : failure.Message;
        if (dequeueCount >= MaxAttempts)
        {
            return DeadLetter(RelayFailureKind.GaveUp, $"gave up after {dequeueCount} attempts: {reason}", failure.StatusCode);
        }

        var retryReason = failure.IsThrottling ? ThrottledReason : failure.Kind.ToString();
        return Retry(retryReason, $"{retryReason}: {reason}", failure.StatusCode, dequeueCount);
    }

    /// <summary>
    /// Microsoft Graph did not take the message. A refusal (400, 403, 404, 413) is final, with Graph's code and what to do;
    /// throttling (429), 5xx, a lost connection, a timeout and a token problem that an operator can fix while the queue
    /// still holds the message are retried until <see cref="MaxAttempts"/>, never sooner than Graph's Retry-After.
    /// </summary>
    /// <param name="failure">The failure.</param>
    /// <param name="dequeueCount">How many times the message was delivered.</param>
    /// <returns>Retry, or a dead letter of kind <see cref="RelayFailureKind.Graph"/> or <see cref="RelayFailureKind.GaveUp"/>.</returns>
    public RelayOutcome AfterFailure(GraphTransportException failure, long dequeueCount)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.Kind == GraphFailureKind.Permanent)
        {
            return DeadLetter(RelayFailureKind.Graph, failure.Message, failure.StatusCode);
        }

        if (dequeueCount >= MaxAttempts)
        {
            return DeadLetter(RelayFailureKind.GaveUp, $"gave up after {dequeueCount} attempts: {failure.Message}", failure.StatusCode);
        }

        var retryReason = failure.IsThrottling ? ThrottledReason : failure.Kind.ToString();
        var retry = Retry(retryReason, $"{retryReason}: {failure.Message}", failure.StatusCode, dequeueCount);
        return failure.RetryAfter is { } wait && wait > retry.RetryAfter ? retry with { RetryAfter = wait } : retry;
    }

    /// <summary>
    /// Azure Communication Services did not send the message. A refusal (4xx), a message ACS cannot carry (refused before
    /// sending) and a send operation that ended Failed or Canceled are final, dead-lettered with ACS's error code and the
    /// operation id; throttling (429), 5xx, a lost connection, a timeout and a token or key problem that an operator can
    /// fix while the queue still holds the message are retried until <see cref="MaxAttempts"/>, never sooner than ACS's
    /// Retry-After. A retry repeats the operation id (it is derived from the queue message), so an accepted send is not
    /// sent again.
    /// </summary>
    /// <param name="failure">The failure.</param>
    /// <param name="dequeueCount">How many times the message was delivered.</param>
    /// <returns>Retry, or a dead letter of kind <see cref="RelayFailureKind.Acs"/> or <see cref="RelayFailureKind.GaveUp"/>.</returns>
    public RelayOutcome AfterFailure(AcsTransportException failure, long dequeueCount)
    {
        ArgumentNullException.ThrowIfNull(failure);
        RelayOutcome outcome;
        if (failure.Kind is AcsFailureKind.Permanent or AcsFailureKind.NotSupported or AcsFailureKind.OperationFailed)
        {
            outcome = DeadLetter(RelayFailureKind.Acs, failure.Message + Operation(failure), failure.StatusCode);
        }
        else if (dequeueCount >= MaxAttempts)
        {
            outcome = DeadLetter(RelayFailureKind.GaveUp, $"gave up after {dequeueCount} attempts: {failure.Message}{Operation(failure)}", failure.StatusCode);
        }
        else
        {
            var retryReason = failure.IsThrottling ? ThrottledReason : failure.Kind.ToString();
            outcome = Retry(retryReason, $"{retryReason}: {failure.Message}", failure.StatusCode, dequeueCount);
            if (failure.RetryAfter is { } wait && wait > outcome.RetryAfter)
            {
                outcome = outcome with { RetryAfter = wait };
            }
        }

        return outcome with { OperationId = failure.OperationId, ErrorCode = failure.ErrorCode };
    }

    /// <summary>
    /// A Storage request for the message's blobs failed with something other than "not found" (a 403 while the relay's
    /// roles are being fixed, a 5xx, no answer): retried with the backoff until <see cref="MaxAttempts"/>, then given up.
    /// </summary>
    /// <param name="failure">What Storage said.</param>
    /// <param name="dequeueCount">How many times the message was delivered.</param>
    /// <returns>Retry, or a dead letter of kind <see cref="RelayFailureKind.GaveUp"/>.</returns>
    public RelayOutcome AfterStorageFailure(string failure, long dequeueCount) => dequeueCount >= MaxAttempts
        ? DeadLetter(RelayFailureKind.GaveUp, $"gave up after {dequeueCount} attempts: {StorageReason}: {failure}")
        : Retry(StorageReason, $"{StorageReason}: {failure}", null, dequeueCount);

    /// <summary>The sending budget has no room before the processor's hold ends: the message waits in the queue for its window, no attempt counted.</summary>
    /// <param name="budget">The budget, as it describes itself.</param>
    /// <param name="wait">How long until the budget may have room.</param>
    /// <returns>Deferred, with the wait as <see cref="RelayOutcome.RetryAfter"/>.</returns>
    public RelayOutcome OverBudget(string budget, TimeSpan wait) => new()
    {
        Kind = RelayOutcomeKind.Deferred,
        RetryReason = BudgetReason,
        Detail = $"over budget ({budget}): waits {Math.Ceiling(Math.Max(wait.TotalSeconds, 0))} s for its window",
        RetryAfter = wait < TimeSpan.Zero ? TimeSpan.Zero : wait,
    };

    private static string Operation(AcsTransportException failure) => failure.OperationId is { } id && !failure.Message.Contains(id, StringComparison.Ordinal)
        ? $" (operation {id})"
        : string.Empty;

    private RelayOutcome Retry(string retryReason, string detail, int? statusCode, long dequeueCount)
        => new() { Kind = RelayOutcomeKind.Retry, RetryReason = retryReason, Detail = detail, StatusCode = statusCode, RetryAfter = RetryDelayAfter(dequeueCount) };

    private static RelayOutcome DeadLetter(string kind, string reason, int? statusCode = null)
        => new() { Kind = RelayOutcomeKind.DeadLettered, DeadLetterKind = kind, Detail = reason, StatusCode = statusCode };
}
