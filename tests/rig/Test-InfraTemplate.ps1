<#
.SYNOPSIS
    The relay's Bicep as a gate: `bicep build` compiles functions/infra/main.bicep to ARM JSON (-OutFile) and
    `bicep lint` checks it; any warning or error fails. Returns @{ Passed; Failed } as one check and exits 1 on failure.
.DESCRIPTION
    The Bicep CLI comes from NuGet (Azure.Bicep.CommandLine.<rid>, a self-contained binary) into .cache/bicep on first
    use: nothing is installed by hand and nothing but the package registry is reached. functions/infra/bicepconfig.json
    sets the linter's rule levels. tests/SmtpOps.Infra.Tests reads the JSON (SMTPOPS_INFRA_TEMPLATE).
.EXAMPLE
    ./tests/rig/Test-InfraTemplate.ps1 -OutFile artifacts/infra/main.json
#>
[CmdletBinding()]
param([Parameter(Mandatory)] [string] $OutFile)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$BicepVersion = '0.49.2'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$template = Join-Path $root 'functions/infra/main.bicep'

function Get-BicepCli {
    $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
    $arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture.ToString().ToLowerInvariant()
    $package = "Azure.Bicep.CommandLine.$os-$arch"
    $cache = Join-Path $root '.cache/bicep'
    $cli = Join-Path $cache "$($package.ToLowerInvariant())/$BicepVersion/tools/$(if ($IsWindows) { 'bicep.exe' } else { 'bicep' })"
    if (-not (Test-Path $cli)) {
        # Out-Host: the download's output must not become part of the returned path.
        & dotnet package download "$package@$BicepVersion" -o $cache | Out-Host
        if ($LASTEXITCODE -ne 0) { throw "Downloading $package $BicepVersion failed with exit code $LASTEXITCODE." }
    }
    # NuGet does not keep the executable bit.
    if (-not $IsWindows) { & chmod +x $cli }
    $cli
}

function Invoke-Bicep([string[]] $Arguments) {
    # The CLI writes diagnostics ("path(line,col) : Warning rule: text") to stderr; keep them as text lines.
    $lines = @(& $script:cli @Arguments 2>&1 | ForEach-Object { "$_" })
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Lines = $lines }
}

$script:cli = Get-BicepCli
New-Item -ItemType Directory -Force -Path (Split-Path -Parent ([IO.Path]::GetFullPath($OutFile))) | Out-Null
if (Test-Path $OutFile) { Remove-Item $OutFile }
$build = Invoke-Bicep @('build', $template, '--outfile', $OutFile)
$lint = Invoke-Bicep @('lint', $template)
$diagnostics = @($build.Lines + $lint.Lines | Where-Object { $_ -match ' : (Warning|Error) ' } | Sort-Object -Unique)
$failed = $build.ExitCode -ne 0 -or $lint.ExitCode -ne 0 -or $diagnostics.Count -gt 0 -or -not (Test-Path $OutFile)
if ($failed) {
    Write-Host "bicep: functions/infra/main.bicep does not build and lint cleanly (build exit code $($build.ExitCode), lint exit code $($lint.ExitCode)):" -ForegroundColor Red
    foreach ($line in @(if ($diagnostics.Count -gt 0) { $diagnostics } else { $build.Lines + $lint.Lines })) { Write-Host "  $line" }
    [pscustomobject]@{ Passed = 0; Failed = 1 }
    exit 1
}
Write-Host "bicep $BicepVersion`: functions/infra/main.bicep builds and lints with no warning -> $([IO.Path]::GetRelativePath($root, [IO.Path]::GetFullPath($OutFile)))"
[pscustomobject]@{ Passed = 1; Failed = 0 }
