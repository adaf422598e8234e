using SmtpOps.Dkim;
using SmtpOps.Messages;

namespace SmtpOps.PowerShell.Commands.Delivery;

/// <summary>
/// What happens to a composed message between Compose and the route that submits it, in the order mail needs it:
/// S/MIME first when asked (it wraps the body), DKIM last (it signs the final bytes: nothing may change the message
/// after it, and the routes send it as is).
/// </summary>
internal sealed class SubmissionSteps
{
    private readonly SmimeStep? smime;
    private readonly DkimMessageSigner? dkim;

    public SubmissionSteps(SmimeStep? smime, DkimMessageSigner? dkim)
    {
        this.smime = smime;
        this.dkim = dkim;
    }

    /// <summary>Applies the steps; on a refusal the error is written and the message must not be sent.</summary>
    /// <returns><c>true</c> when the message may be submitted.</returns>
    public bool Apply(ComposedMessage message, DeliveryOutput output)
    {
        if (smime is not null && !smime.TryApply(message, output))
        {
            return false;
        }

        // DKIM: always the last step before submission.
        if (dkim is not null)
        {
            try
            {
                dkim.Sign(message);
            }
            catch (DkimException ex)
            {
                output.Failed(DkimErrorRecords.FromDkim(ex));
                return false;
            }
        }

        return true;
    }
}
