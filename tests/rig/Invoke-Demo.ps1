<#
.SYNOPSIS
    `./build.ps1 demo`: the main job on embedded defaults, with the packaged module.
.DESCRIPTION
    Starts a local SMTP server with STARTTLS and AUTH, sends a realistic daily report
    (module/examples/Send-DailyReport.ps1) directly and shows what arrived, then sends the same report with a large
    attachment through the relay (Azurite + the local relay host) and shows that too. Stops everything it started.
    build.ps1 builds and packages first.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $ServerPath,
    [Parameter(Mandatory)] [string] $RelayHostPath,
    [Parameter(Mandatory)] [string] $WorkFolder
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Show-MimeTree($Entity, [int] $Depth = 0) {
    $pad = '  ' * $Depth
    if ($Entity -is [MimeKit.Multipart]) {
        Write-Host "$pad$($Entity.ContentType.MimeType)"
        foreach ($child in $Entity) { Show-MimeTree $child ($Depth + 1) }
        return
    }
    $size = [IO.MemoryStream]::new()
    $Entity.Content.DecodeTo($size)
    $label = if ($Entity.FileName) { " $($Entity.FileName)" } elseif ($Entity.ContentId) { " cid:$($Entity.ContentId)" } else { '' }
    Write-Host ("{0}{1}{2} ({3:n0} bytes{4})" -f $pad, $Entity.ContentType.MimeType, $label, $size.Length, $(if ($Entity.ContentId) { ", inline cid:$($Entity.ContentId)" }))
}

function Wait-SinkMessage($Sink, [int] $Count, [int] $Seconds) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (@(Get-SinkMessageFile $Sink).Count -lt $Count) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Expected $Count message(s) at the SMTP server within $Seconds s." }
        Start-Sleep -Milliseconds 200
    }
}

function Show-ReceivedMessage($Sink, [int] $Index) {
    $file = @(Get-SinkMessageFile $Sink)[$Index]
    $message = [MimeKit.MimeMessage]::Load($file.FullName)
    Write-Host "What the server received ($($file.Length.ToString('n0')) bytes), subject '$($message.Subject)':"
    Show-MimeTree $message.Body 1
    $envelope = @(Get-SinkEnvelope $Sink)[$Index]
    Write-Host "Envelope: MAIL FROM $($envelope.from), RCPT TO $($envelope.recipients -join ', '), authenticated as '$($envelope.authenticatedUser)', TLS: $($envelope.secure)"
    Write-Host "The message: $($file.FullName) (open it in any mail client)"
}

Import-Module (Join-Path $PSScriptRoot 'SmtpSink.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'Azurite.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'TestServerProcess.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'RelayHost.psm1') -Force
Install-Azurite
if (Test-Path $WorkFolder) { Remove-Item -Recurse -Force $WorkFolder }
$user = 'reports'
$password = [guid]::NewGuid().ToString('N')
$sink = Start-SmtpSink -Directory (Join-Path $WorkFolder 'mailbox') -StartTls -User "${user}:$password" -ServerPath $ServerPath
$azurite = $null
$relayHost = $null
try {
    Import-Module $ModuleManifest -Force
    # The demo reads what arrived with MimeKit and lists blobs with the Storage SDK: its own copies, loaded
    # from the module's Dependencies/ into the session (the module itself uses its private load context).
    Add-Type -Path (Join-Path (Split-Path $ModuleManifest) 'Dependencies/MimeKit.dll')
    Add-Type -Path (Join-Path (Split-Path $ModuleManifest) 'Dependencies/Azure.Storage.Blobs.dll')
    Write-Host "`nLocal SMTP server on 127.0.0.1:$($sink.Port): STARTTLS (self-signed certificate $($sink.Thumbprint)), AUTH required.`n"
    $transcript = Join-Path $WorkFolder 'smtp-transcript.log'
    $send = @{
        SmtpServer            = '127.0.0.1'
        Port                  = $sink.Port
        Security              = 'StartTls'
        CertificateThumbprint = $sink.Thumbprint
        Credential            = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
        TranscriptPath        = $transcript
    }
    $report = Join-Path $PSScriptRoot '../../module/examples/Send-DailyReport.ps1'
    Write-Host '== 1. Send-SmtpMail, directly over SMTP =='
    $result = & $report -From 'Reports <reports@contoso.example>' -To 'Operations <ops@contoso.example>' -WorkFolder (Join-Path $WorkFolder 'report') -SendParameters $send
    $result | Format-List | Out-Host
    Show-ReceivedMessage $sink 0
    Write-Host "The SMTP dialogue, AUTH redacted: $transcript"
    Get-Content $transcript | Select-String -Pattern ' C: AUTH' | ForEach-Object { Write-Host "  $($_.Line)" }

    Write-Host "`n== 2. Send-SmtpMail -RelayQueue: Azure Storage queue (Azurite) -> relay host -> smarthost =="
    $azurite = Start-Azurite -Directory (Join-Path $WorkFolder 'azurite')
    $relayHost = Start-RelayHost -HostPath $RelayHostPath -Azurite $azurite -Sink $sink -User $user -Password $password -Directory (Join-Path $WorkFolder 'relay')
    $big = Join-Path $WorkFolder 'report/service-health-detail.csv'
    $lines = 1..40000 | ForEach-Object { "svc-{0:d5},westeurope,{1},{2}" -f $_, (1000 + $_ * 7), ($_ % 97) }
    Set-Content -Path $big -Value (@('Service,Region,Requests,Errors') + $lines)
    $relay = @{ RelayQueue = 'smtpops-relay'; RelayConnectionString = $azurite.ConnectionString }
    $queued = & $report -From 'Reports <reports@contoso.example>' -To 'Operations <ops@contoso.example>' -WorkFolder (Join-Path $WorkFolder 'report') `
        -AdditionalAttachments $big -SendParameters $relay
    $queued | Format-List | Out-Host
    Write-Host "Queued with $($queued.BlobCount) blob(s) for the $([math]::Round((Get-Item $big).Length / 1MB, 1)) MB attachment; waiting for the relay to deliver..."
    Wait-SinkMessage $sink 2 60
    Show-ReceivedMessage $sink 1
    $blobs = [Azure.Storage.Blobs.BlobContainerClient]::new($azurite.ConnectionString, 'smtpops-relay-attachments')
    Write-Host "Blobs left in smtpops-relay-attachments: $(@($blobs.GetBlobs()).Count)"
}
finally {
    if ($relayHost) { Stop-TestServerProcess $relayHost }
    if ($azurite) { Stop-Azurite $azurite }
    Stop-SmtpSink $sink
}
