using System;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Budgets;

/// <summary>
/// The answer of <see cref="SendingBudgetGate.AcquireAsync"/>: admitted (send now, then <see cref="ReleaseAsync"/> when the
/// send has ended, whether it succeeded or not), or not within the wait allowed, with when to come back.
/// </summary>
public sealed class BudgetAdmission
{
    private readonly Func<CancellationToken, Task>? release;
    private int released;

    internal BudgetAdmission(bool admitted, DateTimeOffset? retryAt, TimeSpan waited, Func<CancellationToken, Task>? release)
    {
        Admitted = admitted;
        RetryAt = retryAt;
        Waited = waited;
        this.release = release;
    }

    /// <summary>Gets a value indicating whether the send may go now.</summary>
    public bool Admitted { get; }

    /// <summary>Gets when the budget may have room again (not admitted only).</summary>
    public DateTimeOffset? RetryAt { get; }

    /// <summary>Gets how long the send waited for the budget.</summary>
    public TimeSpan Waited { get; }

    /// <summary>Ends the send: from now on it counts as ended in every window. Only the first call counts.</summary>
    /// <param name="cancellationToken">Cancels the write (the reservation then holds until its lease ends).</param>
    /// <returns>A task that completes when the budget is updated.</returns>
    public Task ReleaseAsync(CancellationToken cancellationToken = default)
        => release is null || Interlocked.Exchange(ref released, 1) == 1 ? Task.CompletedTask : release(cancellationToken);
}
