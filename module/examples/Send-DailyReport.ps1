<#
.SYNOPSIS
    A scheduled "daily report" mail: HTML table with an inline logo, a plain-text
    alternative and the data as a CSV attachment.
.DESCRIPTION
    Copy it into a scheduled task or runbook and set the connection once, e.g.:
        $PSDefaultParameterValues['Send-SmtpMail:SmtpServer'] = 'smtp.office365.com'
        $PSDefaultParameterValues['Send-SmtpMail:Port'] = 587
        $PSDefaultParameterValues['Send-SmtpMail:Security'] = 'StartTls'
        $PSDefaultParameterValues['Send-SmtpMail:Credential'] = Get-Secret -Name SmtpCredential
    To go through the relay instead (a runbook that cannot open port 25), pass
    @{ RelayQueue = 'mail'; RelayConnectionString = $sas } as -SendParameters.
    `build.ps1 demo` runs it both ways against a local SMTP server.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $From,
    [Parameter(Mandatory)] [string[]] $To,
    [string] $WorkFolder = (Join-Path ([IO.Path]::GetTempPath()) 'daily-report'),
    # More files to attach beside the generated CSV (e.g. a detailed export).
    [string[]] $AdditionalAttachments = @(),
    # Anything else (server, port, security, credential, thumbprint) goes straight to Send-SmtpMail.
    [hashtable] $SendParameters = @{}
)
$ErrorActionPreference = 'Stop'
New-Item -ItemType Directory -Force -Path $WorkFolder | Out-Null

# The data: in real life a query; here a deterministic sample of service health.
$today = Get-Date -Format 'yyyy-MM-dd'
$rows = foreach ($i in 1..12) {
    [pscustomobject]@{
        Service   = "svc-{0:d2}" -f $i
        Region    = @('westeurope', 'northeurope', 'eastus')[$i % 3]
        Requests  = 1000 * $i + 37 * $i * $i
        ErrorRate = [math]::Round(($i % 5) * 0.13, 2)
        Status    = if ($i % 5 -eq 4) { 'Degraded' } else { 'Healthy' }
    }
}
$csv = Join-Path $WorkFolder "service-health-$today.csv"
$rows | Export-Csv -Path $csv -NoTypeInformation -Encoding utf8

$logo = Join-Path $WorkFolder 'logo.png'
[IO.File]::WriteAllBytes($logo, [Convert]::FromBase64String('iVBORw0KGgoAAAANSUhEUgAAADAAAAAQCAIAAADfzGvmAAAAKUlEQVR42mNgiJo3uNCog0YdRH0H/acjGHXQqINGpoNGy6FRBw1tBwEAy22cdXQ4ktMAAAAASUVORK5CYII='))

$degraded = @($rows | Where-Object Status -ne 'Healthy')
$tableRows = ($rows | ForEach-Object {
        $style = if ($_.Status -ne 'Healthy') { ' style="background:#fde7e9"' } else { '' }
        "<tr$style><td>$($_.Service)</td><td>$($_.Region)</td><td align=right>$($_.Requests)</td><td align=right>$($_.ErrorRate)%</td><td>$($_.Status)</td></tr>"
    }) -join "`n"
$html = @"
<html><body style="font-family:Segoe UI,Arial,sans-serif">
<img src="cid:logo" alt="SmtpOps" width="48" height="16">
<h2>Service health, $today</h2>
<p>$($rows.Count) services, <b>$($degraded.Count) degraded</b>. The full data is attached as CSV.</p>
<table border="1" cellpadding="4" cellspacing="0">
<tr><th>Service</th><th>Region</th><th>Requests</th><th>Error rate</th><th>Status</th></tr>
$tableRows
</table>
</body></html>
"@
$text = "Service health, $today`n$($rows.Count) services, $($degraded.Count) degraded: $($degraded.Service -join ', ').`nThe full data is attached as CSV."

Send-SmtpMail -From $From -To $To -Subject "Service health $today ($($degraded.Count) degraded)" `
    -Body $text -HtmlBody $html -Attachments (@($csv) + $AdditionalAttachments) -InlineAttachments @{ logo = $logo } `
    -PassThru @SendParameters
