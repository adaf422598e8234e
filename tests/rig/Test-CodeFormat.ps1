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
Write-Host 'dotnet format SmtpOps.sln --verify-no-changes (a minute or more)...'
& dotnet format (Join-Path $root 'SmtpOps.sln') --verify-no-changes --verbosity quiet --report $ReportFolder | Out-Null
$exit = $LASTEXITCODE
if ($exit -eq 0) {
    Write-Host 'dotnet format: no file differs from the house style'
    return [pscustomobject]@{ Passed = 1; Failed = 0 }
}
$report = Join-Path $ReportFolder 'format-report.json'
# The report has an entry per file and per kind of fix (whitespace, style, analyzers): one line per file here.
$entries = @(if (Test-Path $report) { Get-Content -Raw $report | ConvertFrom-Json })
$files = @($entries | Group-Object FilePath | Sort-Object Name)
Write-Host "dotnet format: exit code $exit, $($files.Count) file(s) differ from the house style (fix: dotnet format SmtpOps.sln):" -ForegroundColor Red
foreach ($file in $files) {
    $changes = @($file.Group.FileChanges | ForEach-Object { "line $($_.LineNumber): $($_.FormatDescription -replace '^error ', '')" } | Sort-Object -Unique)
    Write-Host "  $([IO.Path]::GetRelativePath($root, $file.Name)): $($changes -join ' | ')"
}
[pscustomobject]@{ Passed = 0; Failed = 1 }
