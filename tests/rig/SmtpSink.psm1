<#
.SYNOPSIS
    Starts and stops the out-of-process test SMTP servers (tests/SmtpOps.TestServers) for Pester and the demo,
    and reads what the sink received.
#>
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'TestServerProcess.psm1')

function Start-SmtpSink {
    # The sink (SmtpServer library): writes each message to <Directory>/NNNNNN.eml with its envelope beside it.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [switch] $StartTls,
        [switch] $ImplicitTls,
        [string[]] $User = @(),
        [switch] $AllowUnsecureAuth,
        [string[]] $Reject = @(),
        [int] $FailData,
        [string] $ServerPath = $env:SMTPOPS_TESTSERVER
    )
    $arguments = @('--dir', $Directory)
    if ($StartTls) { $arguments += '--starttls' }
    if ($ImplicitTls) { $arguments += '--implicit-tls' }
    if ($AllowUnsecureAuth) { $arguments += '--allow-unsecure-auth' }
    foreach ($u in $User) { $arguments += '--user', $u }
    foreach ($r in $Reject) { $arguments += '--reject', $r }
    if ($FailData) { $arguments += '--fail-data', $FailData }
    $started = Start-TestServerProcess -Command 'smtp-sink' -Directory $Directory -Arguments $arguments -ServerPath $ServerPath
    [pscustomobject]@{
        Port       = [int]$started.Ready.port
        Directory  = $Directory
        Thumbprint = $started.Ready.certificateThumbprint
        Sha256     = $started.Ready.certificateSha256
        Process    = $started.Process
    }
}

function Start-ScriptedSmtpServer {
    # The raw scripted server (scripted-smtp): banners, tarpit, garbage, certificates of every kind, XOAUTH2.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [string[]] $Arguments = @(),
        [string] $ServerPath = $env:SMTPOPS_TESTSERVER
    )
    $started = Start-TestServerProcess -Command 'scripted-smtp' -Directory $Directory -Arguments $Arguments -ServerPath $ServerPath
    [pscustomobject]@{
        Port              = [int]$started.Ready.port
        Directory         = $Directory
        Thumbprint        = $started.Ready.certificateThumbprint
        CaCertificatePath = $started.Ready.caCertificatePath
        Process           = $started.Process
    }
}

function Stop-SmtpSink {
    # Stops a sink or a scripted server.
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Sink)
    process { Stop-TestServerProcess $Sink.Process }
}

function Get-SinkMessageFile {
    # The .eml files the sink has written, in arrival order.
    param([Parameter(Mandatory)] $Sink)
    @(Get-ChildItem -Path $Sink.Directory -Filter '*.eml' | Sort-Object Name)
}

function Get-SinkEnvelope {
    # The envelope (MAIL FROM, RCPT TO, session, AUTH user) of each message, in arrival order.
    param([Parameter(Mandatory)] $Sink)
    @(Get-ChildItem -Path $Sink.Directory -Filter '*.envelope.json' | Sort-Object Name | ForEach-Object { Get-Content -Raw $_.FullName | ConvertFrom-Json })
}

function Get-SinkSessionCount {
    # How many TCP connections the sink has accepted.
    param([Parameter(Mandatory)] $Sink)
    $log = Join-Path $Sink.Directory 'sessions.log'
    if (Test-Path $log) { @(Get-Content $log).Count } else { 0 }
}

Export-ModuleMember -Function Start-SmtpSink, Start-ScriptedSmtpServer, Stop-SmtpSink, Get-SinkMessageFile, Get-SinkEnvelope, Get-SinkSessionCount
