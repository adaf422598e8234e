using System;
using System.Linq;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Relay.Processing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>The relay's connection pool against a real SMTP server: the cap, reuse, and one connection per message.</summary>
public sealed class SmtpSubmitterPoolTests
{
    private static SmtpConnectionOptions Options(TestSmtpServer server) => new()
    {
        Host = "127.0.0.1",
        Port = server.Port,
        Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None },
        Retry = new RetryPolicy { MaxRetries = 2, InitialDelay = TimeSpan.FromMilliseconds(20) },
        Timeout = TimeSpan.FromSeconds(10),
    };

    private static MailMessageDefinition Message(int index) => new()
    {
        From = "reports@contoso.test",
        To = new[] { "ops@contoso.test" },
        Subject = $"Message {index}",
        TextBody = "x",
    };

    private static async Task SendAsync(SmtpSubmitterPool pool, int index)
    {
        var submitter = await pool.RentAsync();
        var healthy = false;
        try
        {
            await submitter.SendAsync(Message(index));
            healthy = true;
        }
        finally
        {
            await pool.ReturnAsync(submitter, healthy);
        }
    }

    [Fact]
    public async Task ReusedConnectionsNeverExceedTheCap()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var pool = new SmtpSubmitterPool(Options(server), maxConnections: 2);

        await Task.WhenAll(Enumerable.Range(1, 20).Select(i => Task.Run(() => SendAsync(pool, i))));

        Assert.Equal(20, (await server.WaitForMessagesAsync(20, TimeSpan.FromSeconds(10))).Count);
        Assert.InRange(server.SessionCount, 1, 2);
    }

    [Fact]
    public async Task WithoutReuseEachMessageHasItsOwnConnection()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var pool = new SmtpSubmitterPool(Options(server), maxConnections: 2, reuseConnections: false);

        await Task.WhenAll(Enumerable.Range(1, 6).Select(i => Task.Run(() => SendAsync(pool, i))));

        Assert.Equal(6, (await server.WaitForMessagesAsync(6, TimeSpan.FromSeconds(10))).Count);
        Assert.Equal(6, server.SessionCount);
    }

    [Fact]
    public async Task ASenderWaitsForAFreeConnection()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var pool = new SmtpSubmitterPool(Options(server), maxConnections: 1);

        var first = await pool.RentAsync();
        var second = pool.RentAsync();
        await Task.Delay(200);
        Assert.False(second.IsCompleted);

        await pool.ReturnAsync(first, healthy: true);
        Assert.Same(first, await second);
        await pool.ReturnAsync(first, healthy: true);
    }

    [Fact]
    public async Task LoweringTheLimitTakesASlotAwayForGoodButNeverTheLastOne()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var pool = new SmtpSubmitterPool(Options(server), maxConnections: 2);
        var first = await pool.RentAsync();
        var second = await pool.RentAsync();

        Assert.Equal(1, pool.LowerConnectionLimit());
        await pool.ReturnAsync(first, healthy: true);
        var third = pool.RentAsync();
        await Task.Delay(200);
        Assert.False(third.IsCompleted);

        await pool.ReturnAsync(second, healthy: true);
        Assert.Same(second, await third);
        Assert.Equal(1, pool.LowerConnectionLimit());
        Assert.Equal(1, pool.ConnectionLimit);
        await pool.ReturnAsync(second, healthy: true);
        Assert.Same(second, await pool.RentAsync());
        await pool.ReturnAsync(second, healthy: true);
    }

    [Fact]
    public void AtLeastOneConnectionIsNeeded()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmtpSubmitterPool(new SmtpConnectionOptions(), maxConnections: 0));
    }
}
