<#
.SYNOPSIS
    Runs every check of `./build.ps1 test` against the built solution and the packaged module, and prints the
    closing "N passed, N failed" line that CI reads; exits 1 when anything failed or nothing passed.
.DESCRIPTION
    The checks, each counted: the house style (Test-CodeFormat.ps1: `dotnet format --verify-no-changes`, one check), the
    relay's Bicep (Test-InfraTemplate.ps1: `bicep build` + `bicep lint` with no warning, one check), every xunit
    project under tests/, the Pester suites (tests/pester) in their own pwsh. What they need first: Azurite from
    npm (tests/azurite/package-lock.json), the Debian packages in tests/rig/debian-packages.txt, Pester from NuGet (into .cache/), and a private CA trusted for this run.
    build.ps1 runs the build and package tasks before this script.
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Release',
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $PSRepository,
    [Parameter(Mandatory)] [string] $NuGetFolder
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$Artifacts = Join-Path $Root 'artifacts'
$Results = Join-Path $Artifacts 'test-results'
$TestServerPath = Join-Path $Root "tests/SmtpOps.TestServers/bin/$Configuration/net10.0/SmtpOps.TestServers.dll"
$PesterVersion = '6.2.0'

function New-Count([int] $Passed, [int] $Failed) { [pscustomobject]@{ Passed = $Passed; Failed = $Failed } }

function Get-PesterManifest {
    # Pester comes from NuGet into an ignored cache folder; nothing is installed by hand.
    $cache = Join-Path $Root '.cache/pester'
    $manifest = Join-Path $cache "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $manifest)) {
        # Out-Host: the download's output must not become part of the returned path.
        & dotnet package download "Pester@$PesterVersion" -o $cache | Out-Host
        if ($LASTEXITCODE -ne 0) { throw "Downloading Pester $PesterVersion failed with exit code $LASTEXITCODE." }
    }
    $manifest
}

function Enable-TestTrust {
    # A private CA for this run, trusted the way a machine trusts its company CA: through the system's root
    # store as .NET on Linux reads it (SSL_CERT_FILE: the system's roots plus the CA). Set for the processes the
    # suites start from here on; nothing on the machine changes. The TLS policy tests issue their servers'
    # certificates from it (SMTPOPS_TEST_CA).
    $folder = Join-Path $Artifacts 'test-trust'
    if (Test-Path $folder) { Remove-Item -Recurse -Force $folder }
    $bundle = & dotnet $TestServerPath test-trust --out $folder
    if ($LASTEXITCODE -ne 0) { throw "test-trust failed with exit code $LASTEXITCODE." }
    $env:SSL_CERT_FILE = $bundle
    $env:SMTPOPS_TEST_CA = $folder
}

function Invoke-XunitSuite {
    # Every xunit project under tests/ (tests/<Name>.Tests/<Name>.Tests.csproj), one results file each; the counts are summed.
    # The runners' output goes to the host (Out-Host): only the counts object may be this function's output.
    $passed = 0
    $failed = 0
    $projects = @(Get-ChildItem (Join-Path $Root 'tests') -Directory | ForEach-Object { Get-ChildItem $_.FullName -Filter '*.Tests.csproj' -File } | Sort-Object Name)
    if ($projects.Count -eq 0) {
        Write-Host 'xunit: no test projects found' -ForegroundColor Red
        return New-Count 0 1
    }
    foreach ($project in $projects) {
        $name = $project.BaseName
        $trxName = "$name.trx"
        $trx = Join-Path $Results $trxName
        if (Test-Path $trx) { Remove-Item $trx }
        # A test that hangs is ended after 10 minutes (the run is reported failed, with the test's name), not left
        # to use up CI's 90.
        & dotnet test $project.FullName -c $Configuration --no-build --nologo --blame-hang-timeout 10m --blame-hang-dump-type none `
            --logger "trx;LogFileName=$trxName" --logger 'console;verbosity=normal' --results-directory $Results | Out-Host
        $exit = $LASTEXITCODE
        if (-not (Test-Path $trx)) {
            Write-Host "xunit ${name}: no results file (exit code $exit)" -ForegroundColor Red
            $failed += 1
            continue
        }
        $counters = ([xml](Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
        $projectFailed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        if ($exit -ne 0 -and $projectFailed -eq 0) { $projectFailed = 1 }
        Write-Host ("xunit {0}: {1} passed, {2} failed" -f $name, [int]$counters.passed, $projectFailed)
        $passed += [int]$counters.passed
        $failed += $projectFailed
    }
    New-Count $passed $failed
}

function Invoke-InfraTemplateCheck {
    # functions/infra/main.bicep compiled to ARM JSON in artifacts/ and linted (one check); tests/SmtpOps.Infra.Tests
    # reads that JSON (SMTPOPS_INFRA_TEMPLATE) and fails, not skips, when the build did not produce it.
    $template = Join-Path $Artifacts 'infra/main.json'
    $env:SMTPOPS_INFRA_TEMPLATE = $template
    $result = @(& (Join-Path $PSScriptRoot 'Test-InfraTemplate.ps1') -OutFile $template)
    $result[-1]
}

function Invoke-PesterSuite {
    # Pester runs in its own pwsh so that the module under test loads into a clean session.
    $summary = Join-Path $Results 'pester.json'
    if (Test-Path $summary) { Remove-Item $summary }
    $env:SMTPOPS_MODULE = $ModuleManifest
    $env:SMTPOPS_TESTSERVER = $TestServerPath
    $env:SMTPOPS_PSREPOSITORY = $PSRepository
    $env:SMTPOPS_NUGET = $NuGetFolder
    $runner = Join-Path $Root 'tests/pester/Invoke-PesterSuite.ps1'
    & dotnet pwsh -NoProfile -File $runner -PesterManifest (Get-PesterManifest) -TestPath (Join-Path $Root 'tests/pester') -SummaryPath $summary | Out-Host
    $exit = $LASTEXITCODE
    if (-not (Test-Path $summary)) {
        Write-Host "Pester: no summary (exit code $exit)" -ForegroundColor Red
        return New-Count 0 1
    }
    Get-Content -Raw $summary | ConvertFrom-Json
}

New-Item -ItemType Directory -Force -Path $Results | Out-Null
Import-Module (Join-Path $PSScriptRoot 'Azurite.psm1') -Force
Install-Azurite
Import-Module (Join-Path $PSScriptRoot 'DebianPackages.psm1') -Force
Install-DebianPackages
Enable-TestTrust
$format = & (Join-Path $PSScriptRoot 'Test-CodeFormat.ps1') -ReportFolder (Join-Path $Results 'format')
$bicep = Invoke-InfraTemplateCheck
$xunit = Invoke-XunitSuite
$pester = Invoke-PesterSuite
$passed = $format.Passed + $bicep.Passed + $xunit.Passed + $pester.Passed
$failed = $format.Failed + $bicep.Failed + $xunit.Failed + $pester.Failed
Write-Host ("dotnet format: {0} passed, {1} failed; bicep: {2} passed, {3} failed; xunit: {4} passed, {5} failed; Pester: {6} passed, {7} failed" -f
    $format.Passed, $format.Failed, $bicep.Passed, $bicep.Failed, $xunit.Passed, $xunit.Failed, $pester.Passed, $pester.Failed)
# CI reads this closing line.
Write-Host "$passed passed, $failed failed"
exit $(if ($failed -gt 0 -or $passed -eq 0) { 1 } else { 0 })
