using System;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>
/// RFC 5321 2.3.8: a client must not send a bare CR. A body with one (the smuggling shape "\r.\r\n" followed by a
/// command) reaches the server with CRLF line ends only, read from the raw bytes the server received.
/// </summary>
public sealed class BareCarriageReturnTests
{
    [Theory]
    [InlineData("text")]
    [InlineData("html")]
    [InlineData("both")]
    public async Task ABodyWithABareCarriageReturnLeavesWithCrLfLineEndsOnly(string bodies)
    {
        const string Smuggling = "first line\r.\r\nMAIL FROM:<s@evil.test>\rlast\r";
        await using var server = await TestSmtpServer.StartAsync(new());
        using var submitter = new SmtpSubmitter(TestSmtpConnection.Options(server, SmtpSecurity.None));

        await submitter.SendAsync(new MailMessageDefinition
        {
            From = "a@contoso.test",
            To = ["b@contoso.test"],
            Subject = "bare CR",
            TextBody = bodies is "text" or "both" ? Smuggling : null,
            HtmlBody = bodies is "html" or "both" ? $"<p>{Smuggling}</p>" : null,
        });

        var received = Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        var data = received.Data;
        for (var i = 0; i < data.Length; i++)
        {
            Assert.False(data[i] == (byte)'\r' && (i + 1 == data.Length || data[i + 1] != (byte)'\n'), $"a bare CR at byte {i} of {data.Length}: ...{System.Text.Encoding.ASCII.GetString(data, Math.Max(0, i - 40), Math.Min(60, data.Length - Math.Max(0, i - 40)))}...");
        }

        Assert.Single(server.Messages);
        Assert.Contains("MAIL FROM:<s@evil.test>\r\nlast", System.Text.Encoding.ASCII.GetString(data), StringComparison.Ordinal);
    }
}
