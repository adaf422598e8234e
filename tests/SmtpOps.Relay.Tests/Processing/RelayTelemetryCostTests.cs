using System;
using SmtpOps.Relay.Processing;
using Xunit;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>
/// What the relay's telemetry costs a delivery when nothing listens (no exporter configured): no span and no
/// allocation. Runs alone, after the other tests, so no other test's tracer or meter provider listens meanwhile.
/// </summary>
[Collection(Name)]
public sealed class RelayTelemetryCostTests
{
    public const string Name = "Relay telemetry with nothing listening";

    [Fact]
    public void WithoutAListenerADeliverysTelemetryCreatesNoSpanAndAllocatesNothing()
    {
        Assert.False(RelayDiagnostics.ActivitySource.HasListeners(), "another test's provider still listens");
        var delivery = new RelayDelivery
        {
            QueueMessageId = "q1",
            Text = "{\"schemaVersion\":1,\"traceParent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\",\"id\":\"e1\"}",
        };
        var smarthost = new Uri("smtp://smtp.contoso.test:587");
        var sent = new RelayOutcome { Kind = RelayOutcomeKind.Sent, StatusCode = 250, EnqueuedAt = DateTimeOffset.UtcNow };
        var retry = new RelayOutcome { Kind = RelayOutcomeKind.Retry, RetryReason = RelayDecision.ThrottledReason, StatusCode = 432 };
        var deadLetter = new RelayOutcome { Kind = RelayOutcomeKind.DeadLettered, DeadLetterKind = RelayFailureKind.Smtp, StatusCode = 550 };
        Deliver(delivery, smarthost, sent);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Assert.Null(Deliver(delivery, smarthost, sent));
            Deliver(delivery, smarthost, retry);
            Deliver(delivery, smarthost, deadLetter);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static System.Diagnostics.Activity? Deliver(RelayDelivery delivery, Uri smarthost, RelayOutcome outcome)
    {
        var activity = RelayTelemetry.StartProcessing(delivery, "mail");
        var sending = RelayTelemetry.StartSend();
        RelayTelemetry.EndSend(sending, "mail", outcome.Kind);
        RelayTelemetry.Complete(activity, outcome, "mail", smarthost, viaGraph: false);
        return activity;
    }
}

[CollectionDefinition(RelayTelemetryCostTests.Name, DisableParallelization = true)]
public sealed class RelayTelemetryCostCollection
{
}
