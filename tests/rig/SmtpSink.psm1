<#
.SYNOPSIS
    Starts and stops the out-of-process test SMTP server (tests/SmtpOps.TestServers) for Pester and the demo.
#>
Set-StrictMode -Version Latest

function Start-SmtpSink {
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
    if (-not $ServerPath -or -not (Test-Path $ServerPath)) { throw "The test server was not built: '$ServerPath'." }
    New-Item -ItemType Directory -Force -Path $Directory | Out-Null
    $ready = Join-Path $Directory 'ready.json'
    Remove-Item $ready -ErrorAction Ignore

    $arguments = @($ServerPath, 'smtp-sink', '--dir', $Directory, '--ready-file', $ready)
    if ($StartTls) { $arguments += '--starttls' }
    if ($ImplicitTls) { $arguments += '--implicit-tls' }
    if ($AllowUnsecureAuth) { $arguments += '--allow-unsecure-auth' }
    foreach ($u in $User) { $arguments += '--user', $u }
    foreach ($r in $Reject) { $arguments += '--reject', $r }
    if ($FailData) { $arguments += '--fail-data', $FailData }

    $process = Start-Process -FilePath 'dotnet' -ArgumentList $arguments -PassThru `
        -RedirectStandardOutput (Join-Path $Directory 'sink.out') -RedirectStandardError (Join-Path $Directory 'sink.err')
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while (-not (Test-Path $ready)) {
        if ($process.HasExited) { throw "The SMTP sink exited with code $($process.ExitCode): $(Get-Content -Raw (Join-Path $Directory 'sink.err'))" }
        if ([DateTime]::UtcNow -gt $deadline) { $process.Kill(); throw 'The SMTP sink did not start within 30 s.' }
        Start-Sleep -Milliseconds 50
    }
    $info = Get-Content -Raw $ready | ConvertFrom-Json
    [pscustomobject]@{
        Port       = [int]$info.port
        Directory  = $Directory
        Thumbprint = $info.certificateThumbprint
        Sha256     = $info.certificateSha256
        Process    = $process
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
    New-Item -ItemType Directory -Force -Path $Directory | Out-Null
    $ready = Join-Path $Directory 'ready.json'
    Remove-Item $ready -ErrorAction Ignore
    # Start-Process joins arguments with spaces: quote the ones that contain spaces.
    $quoted = $Arguments | ForEach-Object { if ($_ -match '\s') { '"{0}"' -f $_ } else { $_ } }
    $process = Start-Process -FilePath 'dotnet' -ArgumentList (@($ServerPath, 'scripted-smtp', '--ready-file', $ready) + $quoted) -PassThru `
        -RedirectStandardOutput (Join-Path $Directory 'server.out') -RedirectStandardError (Join-Path $Directory 'server.err')
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while (-not (Test-Path $ready)) {
        if ($process.HasExited) { throw "The scripted SMTP server exited with code $($process.ExitCode): $(Get-Content -Raw (Join-Path $Directory 'server.err'))" }
        if ([DateTime]::UtcNow -gt $deadline) { $process.Kill(); throw 'The scripted SMTP server did not start within 30 s.' }
        Start-Sleep -Milliseconds 50
    }
    $info = Get-Content -Raw $ready | ConvertFrom-Json
    [pscustomobject]@{
        Port                = [int]$info.port
        Directory           = $Directory
        Thumbprint          = $info.certificateThumbprint
        CaCertificatePath   = $info.caCertificatePath
        Process             = $process
    }
}

function Stop-SmtpSink {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Sink)
    process {
        if (-not $Sink.Process.HasExited) {
            $Sink.Process.Kill()
            $Sink.Process.WaitForExit(10000) | Out-Null
        }
    }
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
