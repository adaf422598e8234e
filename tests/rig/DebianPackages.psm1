<#
.SYNOPSIS
    Installs the Debian packages that tests run as the tools admins trust (tests/rig/debian-packages.txt: one package
    per line, with the tests that need it in a comment), so that a new machine needs nothing installed by hand.
#>
Set-StrictMode -Version Latest

function Get-DebianPackageList {
    $list = Join-Path $PSScriptRoot 'debian-packages.txt'
    @(Get-Content $list | ForEach-Object { ($_ -replace '#.*$', '').Trim() } | Where-Object { $_ })
}

function Install-DebianPackages {
    # Only what is missing is installed; 'apt-get update' runs once, and only then. A machine where apt cannot
    # install (not root, no registry) fails here with the packages named, not later in a test that needs them.
    $missing = @(Get-DebianPackageList | Where-Object { "$(& dpkg-query -W -f '${Status}' $_ 2>$null)" -notmatch 'install ok installed' })
    if ($missing.Count -eq 0) { return }
    Write-Host "Installing Debian packages: $($missing -join ' ')"
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get update -qq | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "'apt-get update' failed with exit code $LASTEXITCODE; the tests need: $($missing -join ' ')." }
    & apt-get install -y -qq --no-install-recommends @missing | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "'apt-get install $($missing -join ' ')' failed with exit code $LASTEXITCODE." }
}

Export-ModuleMember -Function Install-DebianPackages, Get-DebianPackageList
