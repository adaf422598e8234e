<#
.SYNOPSIS
    Starts and stops the out-of-process test DNS server (tests/SmtpOps.TestServers dns-server) for Pester.
.DESCRIPTION
    The zone is a hashtable (or object) of the shape the server reads from JSON:
        @{ records = @(@{ name = 'contoso.test'; type = 'MX'; value = '10 mx1.contoso.test'; ttl = 300 }, ...)
           serverFailure = @('servfail.test'); refused = @(); silent = @('silent.test'); authenticated = @() }
    Names without any record answer NXDOMAIN. The server listens on UDP and TCP on 127.0.0.1 only.
#>
Set-StrictMode -Version Latest

function Start-TestDnsServer {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Zone,
        [Parameter(Mandatory)] [string] $Directory,
        [string] $ServerPath = $env:SMTPOPS_TESTSERVER
    )
    if (-not $ServerPath -or -not (Test-Path $ServerPath)) { throw "The test server was not built: '$ServerPath'." }
    New-Item -ItemType Directory -Force -Path $Directory | Out-Null
    $zoneFile = Join-Path $Directory 'zone.json'
    $Zone | ConvertTo-Json -Depth 5 | Set-Content -Path $zoneFile -Encoding utf8NoBOM
    $ready = Join-Path $Directory 'ready.json'
    Remove-Item $ready -ErrorAction Ignore

    $arguments = @($ServerPath, 'dns-server', '--zone', $zoneFile, '--ready-file', $ready)
    $process = Start-Process -FilePath 'dotnet' -ArgumentList $arguments -PassThru `
        -RedirectStandardOutput (Join-Path $Directory 'dns.out') -RedirectStandardError (Join-Path $Directory 'dns.err')
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while (-not (Test-Path $ready)) {
        if ($process.HasExited) { throw "The DNS server exited with code $($process.ExitCode): $(Get-Content -Raw (Join-Path $Directory 'dns.err'))" }
        if ([DateTime]::UtcNow -gt $deadline) { $process.Kill(); throw 'The DNS server did not start within 30 s.' }
        Start-Sleep -Milliseconds 50
    }
    $info = Get-Content -Raw $ready | ConvertFrom-Json
    [pscustomobject]@{
        Port      = [int]$info.port
        Server    = "127.0.0.1:$($info.port)"
        Directory = $Directory
        Process   = $process
    }
}

function Stop-TestDnsServer {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $DnsServer)
    process {
        if (-not $DnsServer.Process.HasExited) {
            $DnsServer.Process.Kill()
            $DnsServer.Process.WaitForExit(10000) | Out-Null
        }
    }
}

Export-ModuleMember -Function Start-TestDnsServer, Stop-TestDnsServer
