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
