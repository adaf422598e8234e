using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>A server that never answers: the submitter must end by timeout or cancellation, never hang.</summary>
public sealed class SmtpSubmitterCancellationTests : IAsyncLifetime
{
    private readonly TcpListener tarpit = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private Task accepting = Task.CompletedTask;

    private int Port => ((IPEndPoint)tarpit.LocalEndpoint).Port;

    private static MailMessageDefinition Message => new() { From = "a@contoso.test", To = new[] { "b@contoso.test" }, TextBody = "x" };

    public Task InitializeAsync()
    {
        tarpit.Start();
        accepting = Task.Run(async () =>
        {
            // Accept and hold every connection open without saying a word.
            var held = new System.Collections.Generic.List<TcpClient>();
            try
            {
                while (true)
                {
                    held.Add(await tarpit.AcceptTcpClientAsync(stop.Token));
                }
            }
            catch (OperationCanceledException)
            {
                held.ForEach(c => c.Dispose());
            }
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        stop.Cancel();
        await accepting;
        tarpit.Stop();
        stop.Dispose();
    }

    [Fact]
    public async Task SilentServerEndsWithATimeoutFailure()
    {
        using var submitter = new SmtpSubmitter(new SmtpConnectionOptions
        {
            Host = "127.0.0.1",
            Port = Port,
            Timeout = TimeSpan.FromMilliseconds(500),
            Retry = RetryPolicy.None,
        });

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => submitter.SendAsync(Message));

        Assert.Equal(SmtpFailureKind.Timeout, failure.Kind);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public async Task CancellationStopsAWaitingSend()
    {
        using var submitter = new SmtpSubmitter(new SmtpConnectionOptions { Host = "127.0.0.1", Port = Port, Timeout = TimeSpan.FromMinutes(5) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => submitter.SendAsync(Message, cancel.Token));

        // Generous bound: only proves the five-minute timeout was not what ended it.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task CancellationStopsAWaitingBlockingSend()
    {
        // Send-SmtpMail's Ctrl+C: StopProcessing cancels from another thread while Send blocks.
        using var submitter = new SmtpSubmitter(new SmtpConnectionOptions { Host = "127.0.0.1", Port = Port, Timeout = TimeSpan.FromMinutes(5) });
        using var cancel = new CancellationTokenSource();
        using var message = MessageComposer.Prepare(Message);
        var sending = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                submitter.Send(message, cancel.Token);
                sending.SetResult(null);
            }
            catch (Exception ex)
            {
                sending.SetResult(ex);
            }
        })
        { IsBackground = true };
        thread.Start();

        cancel.CancelAfter(TimeSpan.FromMilliseconds(300));

        Assert.IsAssignableFrom<OperationCanceledException>(await sending.Task);
    }
}
