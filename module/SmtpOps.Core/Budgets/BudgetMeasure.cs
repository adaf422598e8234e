namespace SmtpOps.Budgets;

/// <summary>What a <see cref="BudgetLimit"/> counts.</summary>
public enum BudgetMeasure
{
    /// <summary>Messages sent (one per submission, whatever its recipients).</summary>
    Messages,

    /// <summary>Recipients of the messages sent (To, Cc and Bcc), as Exchange Online counts its daily limit.</summary>
    Recipients,
}
