using System;
using SmtpOps.Messages;
using SmtpOps.Relay.Processing;
using SmtpOps.Smtp;
using Xunit;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>Every rule of <see cref="RelayDecision"/>, without Storage or a server.</summary>
public sealed class RelayDecisionTests
{
    private static readonly RelayDecision Decision = new RelayProcessorOptions
    {
        MaxAttempts = 3,
        RetryDelay = TimeSpan.FromSeconds(30),
        MaxRetryDelay = TimeSpan.FromMinutes(2),
    }.Decision;

    [Fact]
    public void TheBackoffDoublesFromTheFirstDeliveryUpToTheCapWithTheSubmittersFormula()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Decision.RetryDelayAfter(1));
        Assert.Equal(TimeSpan.FromSeconds(60), Decision.RetryDelayAfter(2));
        Assert.Equal(TimeSpan.FromMinutes(2), Decision.RetryDelayAfter(5));
        var backoff = new RetryPolicy { InitialDelay = TimeSpan.FromSeconds(30), MaxDelay = TimeSpan.FromMinutes(2) };
        Assert.Equal(backoff.GetDelay(2), Decision.RetryDelayAfter(2));
    }

    [Theory]
    [InlineData(451, SmtpFailureKind.Transient)]
    [InlineData(null, SmtpFailureKind.Connection)]
    [InlineData(null, SmtpFailureKind.Timeout)]
    [InlineData(null, SmtpFailureKind.Authentication)]
    [InlineData(null, SmtpFailureKind.Security)]
    [InlineData(null, SmtpFailureKind.Certificate)]
    public void EverythingButA5xxIsRetriedWithTheBackoffUntilTheLastAttemptThenGivenUp(int? status, SmtpFailureKind kind)
    {
        var failure = new SmtpSubmissionException(kind, "trouble", status);

        var first = Decision.AfterFailure(failure, dequeueCount: 1);
        var second = Decision.AfterFailure(failure, dequeueCount: 2);
        var last = Decision.AfterFailure(failure, dequeueCount: 3);

        Assert.Equal(RelayOutcomeKind.Retry, first.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), first.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(60), second.RetryAfter);
        Assert.StartsWith($"{kind}: trouble", first.Detail, StringComparison.Ordinal);
        Assert.Equal(status, first.StatusCode);
        Assert.Equal(RelayOutcomeKind.DeadLettered, last.Kind);
        Assert.Equal(RelayFailureKind.GaveUp, last.DeadLetterKind);
        Assert.StartsWith("gave up after 3 attempts: trouble", last.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A5xxIsDeadLetteredAtOnceWithItsCode()
    {
        var outcome = Decision.AfterFailure(new SmtpSubmissionException(SmtpFailureKind.Permanent, "550 5.1.1 no such user", 550), dequeueCount: 1);

        Assert.Equal(RelayOutcomeKind.DeadLettered, outcome.Kind);
        Assert.Equal(RelayFailureKind.Smtp, outcome.DeadLetterKind);
        Assert.Equal(550, outcome.StatusCode);
        Assert.Null(outcome.RetryAfter);
    }

    [Fact]
    public void ThrottlingIsRetriedAndSaidSo()
    {
        var outcome = Decision.AfterFailure(new SmtpSubmissionException(SmtpFailureKind.Transient, "432 4.3.2 Concurrent connections limit exceeded", 432), dequeueCount: 1);

        Assert.Equal(RelayOutcomeKind.Retry, outcome.Kind);
        Assert.StartsWith("Throttled: ", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ARefusedCertificateNamesTheRelaySettingsThatFixIt()
    {
        var outcome = Decision.AfterFailure(new SmtpSubmissionException(SmtpFailureKind.Certificate, "The certificate of smtp:587 was refused."), dequeueCount: 3);

        Assert.Contains("Relay:Smarthost:TrustedRootCertificates", outcome.Detail, StringComparison.Ordinal);
        Assert.Contains("Relay:Smarthost:CertificateThumbprints", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLedgersClaimDecidesDuplicatesAndDeliveriesInFlight()
    {
        Assert.Equal(RelayOutcomeKind.Duplicate, Decision.AfterClaim(LedgerClaim.AlreadySent, "key-1", 1)!.Kind);
        var inFlight = Decision.AfterClaim(LedgerClaim.InFlight, "key-1", 2)!;
        Assert.Equal(RelayOutcomeKind.Retry, inFlight.Kind);
        Assert.Equal(TimeSpan.FromSeconds(60), inFlight.RetryAfter);
        Assert.Null(Decision.AfterClaim(LedgerClaim.Claimed, "key-1", 1));
    }

    [Fact]
    public void BadEnvelopesPolicyRefusalsAndInvalidMessagesAreDeadLetteredWithTheirKind()
    {
        Assert.Equal(RelayFailureKind.Envelope, Decision.InvalidEnvelope("not Base64").DeadLetterKind);
        Assert.Equal("policy: sender not allowed", Decision.PolicyRefused("sender not allowed").Detail);
        Assert.Equal(RelayFailureKind.Policy, Decision.PolicyRefused("x").DeadLetterKind);
        var message = Decision.InvalidMessage(MessageValidationError.HeaderInjection, "CR/LF in Subject");
        Assert.Equal(RelayFailureKind.Message, message.DeadLetterKind);
        Assert.Equal("HeaderInjection: CR/LF in Subject", message.Detail);
    }

    [Fact]
    public void ARetryIsPostponedByTheRelayExceptOnTheLastDelivery()
    {
        Assert.True(Decision.MayPostpone(1));
        Assert.True(Decision.MayPostpone(2));
        Assert.False(Decision.MayPostpone(3));
    }
}
