using System;
using System.Collections.Generic;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// The messages a test SMTP server accepted, in order, and a wait for the next ones: what <see cref="TestSmtpServer"/>
/// and <see cref="ScriptedSmtpServer"/> share.
/// </summary>
public sealed class MessageInbox<T>
{
    readonly object _gate = new();
    readonly List<T> _messages = [];
    TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The messages so far, copied.</summary>
    public IReadOnlyList<T> Snapshot()
    {
        lock (_gate)
        {
            return [.. _messages];
        }
    }

    /// <summary>
    /// Adds a message, then wakes the waiters once <paramref name="beforeAnnouncing"/> (given the message's number, from
    /// 1) has finished, so a test that sees the message also sees what the server writes about it.
    /// </summary>
    public async Task AddAsync(T message, Func<int, Task>? beforeAnnouncing = null)
    {
        int number;
        TaskCompletionSource arrived;
        lock (_gate)
        {
            _messages.Add(message);
            number = _messages.Count;
            arrived = _arrived;
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        if (beforeAnnouncing is not null)
        {
            await beforeAnnouncing(number).ConfigureAwait(false);
        }

        arrived.TrySetResult();
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> messages arrived and returns them all; after
    /// <paramref name="timeout"/>, a TimeoutException that says where (<paramref name="where"/>) and what the server saw
    /// (<paramref name="seen"/>).
    /// </summary>
    public async Task<IReadOnlyList<T>> WaitForAsync(int count, TimeSpan timeout, string where, Func<string> seen)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                if (_messages.Count >= count)
                {
                    return [.. _messages];
                }

                arrived = _arrived.Task;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero || await Task.WhenAny(arrived, Task.Delay(remaining)).ConfigureAwait(false) != arrived)
            {
                throw new TimeoutException(
                    $"Expected {count} message(s) on {where} within {timeout.TotalSeconds:0.###}s, received {Snapshot().Count} ({seen()}).");
            }
        }
    }
}
