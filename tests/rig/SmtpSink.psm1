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

function Start-LatencyProxy {
    # A proxy in front of a server on 127.0.0.1 (latency-proxy) adding DelayMs each way: 10 = a 20 ms round trip.
    # Returns a copy of the server object whose Port is the proxy's (Process stays the server's, for its CPU time),
    # with ProxyProcess (stop it with Stop-LatencyProxy), ConnectionLog, DelayMs and Target (the server).
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Server,
        [Parameter(Mandatory)] [int] $DelayMs,
        [Parameter(Mandatory)] [string] $Directory,
        [string] $ServerPath = $env:SMTPOPS_TESTSERVER
    )
    $log = Join-Path $Directory 'connections.log'
    $started = Start-TestServerProcess -Command 'latency-proxy' -Directory $Directory -Arguments @('--target-port', $Server.Port, '--delay-ms', $DelayMs, '--log', $log) -ServerPath $ServerPath
    $proxy = $Server.PSObject.Copy()
    $proxy.Port = [int]$started.Ready.port
    $proxy | Add-Member -NotePropertyMembers @{ ProxyProcess = $started.Process; ConnectionLog = $log; DelayMs = $DelayMs; Target = $Server }
    $proxy
}

function Stop-LatencyProxy {
    # Stops the proxy only; the server behind it keeps running.
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Proxy)
    process { Stop-TestServerProcess $Proxy.ProxyProcess }
}

function Get-LatencyProxyConnection {
    # One object per connection the proxy has closed, oldest first: Turns (round trips the client waited for),
    # ClientChunks, ClientBytes, ServerBytes. -Skip leaves out the first N (those before a measurement);
    # -Count waits up to 10 s until at least that many lines are there (a connection is logged once closed).
    param([Parameter(Mandatory)] $Proxy, [int] $Skip = 0, [int] $Count = 0)
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    do {
        $lines = @(if (Test-Path $Proxy.ConnectionLog) { Get-Content $Proxy.ConnectionLog })
        if ($lines.Count -ge $Skip + $Count) { break }
        Start-Sleep -Milliseconds 50
    } while ([DateTime]::UtcNow -lt $deadline)
    $lines | Select-Object -Skip $Skip | ForEach-Object {
        $f = $_ -split ' '
        [pscustomobject]@{ Turns = [long]$f[0]; ClientChunks = [long]$f[1]; ClientBytes = [long]$f[2]; ServerBytes = [long]$f[3] }
    }
}

Export-ModuleMember -Function Start-SmtpSink, Start-ScriptedSmtpServer, Stop-SmtpSink, Get-SinkMessageFile, Get-SinkEnvelope, Get-SinkSessionCount, Start-LatencyProxy, Stop-LatencyProxy, Get-LatencyProxyConnection
