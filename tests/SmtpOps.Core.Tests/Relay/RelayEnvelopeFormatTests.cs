using System;
using System.Collections.Generic;
using SmtpOps.Relay;
using Xunit;

namespace SmtpOps.Tests.Relay;

public sealed class RelayEnvelopeFormatTests
{
    [Fact]
    public void RoundTripKeepsEveryField()
    {
        var envelope = new RelayEnvelope
        {
            Id = "e1",
            IdempotencyKey = "k1",
            MessageId = "m1@contoso.test",
            CreatedAt = DateTimeOffset.UnixEpoch,
            Enqueuer = "billing",
            From = "a@contoso.test",
            To = new[] { "b@contoso.test" },
            Cc = new[] { "c@contoso.test" },
            Subject = "S",
            TextBody = "T",
            HtmlBody = "<p>H</p>",
            Headers = new Dictionary<string, string> { ["X-A"] = "1" },
            Priority = SmtpOps.Messages.MessagePriority.High,
            Attachments = new[] { new RelayAttachment { FileName = "a.csv", ContentType = "text/csv", Length = 3, Content = "YWJj" } },
        };

        var json = RelayEnvelopeFormat.Serialize(envelope);
        var back = RelayEnvelopeFormat.Deserialize(json);

        Assert.Contains("\"schemaVersion\":1", json);
        Assert.Contains("\"priority\":\"High\"", json);
        Assert.Equal("k1", back.IdempotencyKey);
        Assert.Equal("billing", back.Enqueuer);
        Assert.Equal(new[] { "c@contoso.test" }, back.Cc);
        Assert.Equal("1", back.Headers["X-A"]);
        Assert.Equal(SmtpOps.Messages.MessagePriority.High, back.Priority);
        Assert.Equal("YWJj", Assert.Single(back.Attachments).Content);
    }

    [Fact]
    public void TraceContextRoundTripsAndIsWrittenFirstSoItIsReadWithoutTheRest()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var envelope = new RelayEnvelope
        {
            TraceParent = traceParent,
            TraceState = "congo=t61rcWkgMzE",
            Id = "e1",
            IdempotencyKey = "k1",
            From = "a@contoso.test",
            To = new[] { "b@contoso.test" },
            TextBody = new string('x', 5000),
        };

        var json = RelayEnvelopeFormat.Serialize(envelope);
        var back = RelayEnvelopeFormat.Deserialize(json);

        Assert.StartsWith($"{{\"schemaVersion\":1,\"traceParent\":\"{traceParent}\",\"traceState\":\"congo=t61rcWkgMzE\",", json, StringComparison.Ordinal);
        Assert.Equal(traceParent, back.TraceParent);
        Assert.Equal("congo=t61rcWkgMzE", back.TraceState);
        Assert.True(RelayEnvelopeFormat.TryReadTraceContext(json, out var parent, out var state));
        Assert.Equal(traceParent, parent);
        Assert.Equal("congo=t61rcWkgMzE", state);
    }

    [Fact]
    public void AnEnvelopeWrittenBeforeTraceContextStillReadsAndCarriesNone()
    {
        const string old = "{\"schemaVersion\":1,\"id\":\"e1\",\"idempotencyKey\":\"k1\",\"messageId\":\"m1@contoso.test\",\"createdAt\":\"2026-11-30T10:00:00+00:00\",\"from\":\"a@contoso.test\",\"to\":[\"b@contoso.test\"],\"subject\":\"S\"}";

        var envelope = RelayEnvelopeFormat.Deserialize(old);

        Assert.Null(envelope.TraceParent);
        Assert.Null(envelope.TraceState);
        Assert.Equal("m1@contoso.test", envelope.MessageId);
        Assert.False(RelayEnvelopeFormat.TryReadTraceContext(old, out var parent, out var state));
        Assert.Null(parent);
        Assert.Null(state);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[\"traceParent\"]")]
    [InlineData("{\"schemaVersion\":1,\"traceParent\":7}")]
    [InlineData("{\"schemaVersion\":1,\"id\":\"e1\",\"traceParent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\"}")]
    [InlineData("{\"schemaVersion\":1,\"headers\":{\"traceParent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\"}}")]
    public void TraceContextIsOnlyTakenFromTheStartOfAnEnvelope(string text)
    {
        Assert.False(RelayEnvelopeFormat.TryReadTraceContext(text, out var parent, out _));
        Assert.Null(parent);
    }

    [Theory]
    [InlineData("not json", RelayEnvelopeError.Malformed)]
    [InlineData("[1,2]", RelayEnvelopeError.Malformed)]
    [InlineData("{\"id\":\"x\"}", RelayEnvelopeError.Malformed)]
    [InlineData("{\"schemaVersion\":2,\"id\":\"x\"}", RelayEnvelopeError.UnknownVersion)]
    [InlineData("{\"schemaVersion\":1,\"id\":\"x\",\"idempotencyKey\":\"k\",\"from\":\"a@b.test\"}", RelayEnvelopeError.Invalid)]
    [InlineData("{\"schemaVersion\":1,\"id\":\"x\",\"idempotencyKey\":\"k\",\"from\":\"a@b.test\",\"to\":\"b@b.test\"}", RelayEnvelopeError.Malformed)]
    [InlineData("{\"schemaVersion\":1,\"id\":\"x\",\"idempotencyKey\":\"k\",\"from\":\"a@b.test\",\"to\":[\"b@b.test\"],\"attachments\":[{\"fileName\":\"a\"}]}", RelayEnvelopeError.Invalid)]
    public void UnusableMessagesAreRefusedWithTheirKind(string text, RelayEnvelopeError expected)
    {
        var error = Assert.Throws<RelayEnvelopeException>(() => RelayEnvelopeFormat.Deserialize(text));

        Assert.Equal(expected, error.Error);
    }
}
