<#
.SYNOPSIS
    Runs one of the test servers of tests/SmtpOps.TestServers (smtp-sink, scripted-smtp, dns-server, graph, acs, latency-proxy, hostile-smtp) as a
    process and waits for its ready file; shared by the other rig modules.
#>
Set-StrictMode -Version Latest

function Start-TestServerProcess {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [ValidateSet('smtp-sink', 'scripted-smtp', 'dns-server', 'graph', 'acs', 'latency-proxy', 'hostile-smtp', 'legacy-tls-smtp')] [string] $Command,
        [Parameter(Mandatory)] [string] $Directory,
        [string[]] $Arguments = @(),
        [string] $ServerPath = $env:SMTPOPS_TESTSERVER
    )
    if (-not $ServerPath -or -not (Test-Path $ServerPath)) { throw "The test servers were not built: '$ServerPath'." }
    New-Item -ItemType Directory -Force -Path $Directory | Out-Null
    $ready = Join-Path $Directory 'ready.json'
    Remove-Item $ready -ErrorAction Ignore
    # Start-Process joins arguments with spaces: quote the ones that contain spaces.
    $quoted = $Arguments | ForEach-Object { if ("$_" -match '\s') { '"{0}"' -f $_ } else { "$_" } }
    $errors = Join-Path $Directory "$Command.err"
    $process = Start-Process -FilePath 'dotnet' -ArgumentList (@($ServerPath, $Command, '--ready-file', $ready) + $quoted) -PassThru `
        -RedirectStandardOutput (Join-Path $Directory "$Command.out") -RedirectStandardError $errors
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while (-not (Test-Path $ready)) {
        if ($process.HasExited) { throw "$Command exited with code $($process.ExitCode): $(Get-Content -Raw $errors)" }
        if ([DateTime]::UtcNow -gt $deadline) { $process.Kill(); throw "$Command did not start within 30 s." }
        Start-Sleep -Milliseconds 50
    }
    [pscustomobject]@{ Process = $process; Ready = Get-Content -Raw $ready | ConvertFrom-Json }
}

function Stop-TestServerProcess {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [System.Diagnostics.Process] $Process)
    if (-not $Process.HasExited) {
        $Process.Kill()
        $Process.WaitForExit(10000) | Out-Null
    }
}

Export-ModuleMember -Function Start-TestServerProcess, Stop-TestServerProcess
