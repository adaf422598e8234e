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
Import-Module (Join-Path $PSScriptRoot 'TestServerProcess.psm1')

function Start-TestDnsServer {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Zone,
        [Parameter(Mandatory)] [string] $Directory,
        [string] $ServerPath = $env:SMTPOPS_TESTSERVER
    )
    New-Item -ItemType Directory -Force -Path $Directory | Out-Null
    $zoneFile = Join-Path $Directory 'zone.json'
    $Zone | ConvertTo-Json -Depth 5 | Set-Content -Path $zoneFile -Encoding utf8NoBOM
    $started = Start-TestServerProcess -Command 'dns-server' -Directory $Directory -Arguments @('--zone', $zoneFile) -ServerPath $ServerPath
    [pscustomobject]@{
        Port      = [int]$started.Ready.port
        Server    = "127.0.0.1:$($started.Ready.port)"
        Directory = $Directory
        Process   = $started.Process
    }
}

function Stop-TestDnsServer {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $DnsServer)
    process { Stop-TestServerProcess $DnsServer.Process }
}

Export-ModuleMember -Function Start-TestDnsServer, Stop-TestDnsServer
