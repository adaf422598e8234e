<#
.SYNOPSIS
    Runs the Pester suites and writes {"Passed":N,"Failed":N} for build.ps1 to add up.
#>
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $SummaryPath
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = $TestPath
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $configuration

# A failing BeforeAll fails its whole block without failing a single test: count those too.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
New-Item -ItemType Directory -Force -Path (Split-Path $SummaryPath) | Out-Null
@{ Passed = $result.PassedCount; Failed = $failed } | ConvertTo-Json | Set-Content -Path $SummaryPath
exit 0
