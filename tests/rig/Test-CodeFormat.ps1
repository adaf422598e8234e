<#
.SYNOPSIS
    The house style as a gate: `dotnet format SmtpOps.sln --verify-no-changes` (.editorconfig and the analyzers'
    code-style rules). Prints the files that differ and what differs; returns @{ Passed; Failed } as one check.
.EXAMPLE
    ./tests/rig/Test-CodeFormat.ps1 -ReportFolder artifacts/test-results/format
#>
[CmdletBinding()]
param([Parameter(Mandatory)] [string] $ReportFolder)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
if (Test-Path $ReportFolder) { Remove-Item -Recurse -Force $ReportFolder }
Write-Host 'dotnet format SmtpOps.sln --verify-no-changes (about a minute)...'
& dotnet format (Join-Path $root 'SmtpOps.sln') --verify-no-changes --verbosity quiet --report $ReportFolder | Out-Null
$exit = $LASTEXITCODE
if ($exit -eq 0) {
    Write-Host 'dotnet format: no file differs from the house style'
    return [pscustomobject]@{ Passed = 1; Failed = 0 }
}
$report = Join-Path $ReportFolder 'format-report.json'
$differences = @(if (Test-Path $report) { Get-Content -Raw $report | ConvertFrom-Json })
Write-Host "dotnet format: exit code $exit, $($differences.Count) file(s) differ from the house style (fix: dotnet format SmtpOps.sln):" -ForegroundColor Red
foreach ($file in $differences | Sort-Object FilePath) {
    Write-Host "  $([IO.Path]::GetRelativePath($root, $file.FilePath))"
    foreach ($change in @($file.FileChanges) | Select-Object -First 3) { Write-Host "    line $($change.LineNumber): $($change.FormatDescription)" }
}
[pscustomobject]@{ Passed = 0; Failed = 1 }
