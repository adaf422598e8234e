<#
.SYNOPSIS
    A ReadyToRun copy of the running PowerShell, for timing module import as users meet it.
.DESCRIPTION
    The PowerShell the repository runs is the dotnet tool (nuget.org package "PowerShell"): its assemblies are IL
    only, so every PowerShell code path runs through the JIT the first time, including all of Import-Module's own
    work. The PowerShell packages users install (msi, deb, rpm, tar.gz, the Windows Store) are crossgen'd
    (PowerShell's build: Start-PSBuild -Crossgen before Start-PSPackage). Timing an import on the IL-only tool
    charges the module with PowerShell's own JIT (seen here: 881 methods compiled during Import-Module SmtpOps, 15 of
    them SmtpOps').
    Get-ReadyToRunPowerShell copies $PSHOME to a cache folder and compiles every IL-only assembly in its top
    folder with crossgen2 for this machine, once per PowerShell version, runtime and RID. crossgen2 comes from
    NuGet (Microsoft.NETCore.App.Crossgen2.<rid>, the version the SDK picks for ReadyToRun publishing): a
    throw-away project published with PublishReadyToRun brings it into the NuGet cache.
#>

Set-StrictMode -Version Latest

function Test-ReadyToRunImage([string] $Path) {
    # $true when the assembly carries native code (a ManagedNativeHeader), $false when IL only, $null when not managed.
    $stream = [IO.File]::OpenRead($Path)
    try {
        $reader = [System.Reflection.PortableExecutable.PEReader]::new($stream)
        try {
            $cor = $reader.PEHeaders.CorHeader
            if ($null -eq $cor) { return $null }
            $cor.ManagedNativeHeaderDirectory.Size -gt 0
        }
        finally { $reader.Dispose() }
    }
    catch [System.BadImageFormatException] { $null }
    finally { $stream.Dispose() }
}

function Get-Crossgen2([string] $WorkFolder, [string] $Rid) {
    $project = Join-Path $WorkFolder 'crossgen-restore'
    New-Item -ItemType Directory -Force -Path $project | Out-Null
    Set-Content -Path (Join-Path $project 'CrossgenRestore.csproj') -Value @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net$([Environment]::Version.ToString(2))</TargetFramework>
    <OutputType>Exe</OutputType>
    <RuntimeIdentifier>$Rid</RuntimeIdentifier>
    <SelfContained>false</SelfContained>
    <PublishReadyToRun>true</PublishReadyToRun>
  </PropertyGroup>
</Project>
"@
    Set-Content -Path (Join-Path $project 'Program.cs') -Value 'System.Console.WriteLine();'
    # Empty build props here end MSBuild's upward search: the repository's settings are not this project's.
    foreach ($file in 'Directory.Build.props', 'Directory.Build.targets', 'Directory.Packages.props') {
        Set-Content -Path (Join-Path $project $file) -Value '<Project />'
    }
    # Publishing (not only restoring) makes the SDK resolve its crossgen2 pack; its path is then in the assets file.
    $output = & dotnet publish $project -c Release -o (Join-Path $project 'out') -nologo 2>&1
    if ($LASTEXITCODE -ne 0) { throw "Publishing the crossgen2 restore project failed:`n$($output -join "`n")" }
    $assets = Get-Content -Raw (Join-Path $project 'obj/project.assets.json') | ConvertFrom-Json
    $packageFolder = $assets.packageFolders.PSObject.Properties | Select-Object -First 1 -ExpandProperty Name
    # The SDK's packs are download dependencies, not libraries: { name, version = "[x.y.z, x.y.z]" }.
    $pack = $assets.project.frameworks.PSObject.Properties | ForEach-Object { $_.Value.downloadDependencies } |
        Where-Object name -EQ "Microsoft.NETCore.App.Crossgen2.$Rid" | Select-Object -First 1
    if (-not $pack) { throw "The SDK did not download Microsoft.NETCore.App.Crossgen2.$Rid." }
    $version = $pack.version.Trim('[', ']', ' ').Split(',')[0].Trim()
    $tool = Join-Path $packageFolder ("$($pack.name)/$version/tools/crossgen2".ToLowerInvariant())
    if ($IsWindows) { $tool += '.exe' }
    if (-not (Test-Path $tool)) { throw "crossgen2 is not at $tool." }
    $tool
}

function Get-ReadyToRunPowerShell {
    <#
    .SYNOPSIS
        Returns the path of pwsh.dll in a ReadyToRun copy of the running PowerShell (built on first use, then cached).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $CacheFolder)

    $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
    $runtime = [System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
    $key = '{0}-net{1}-{2}' -f $PSVersionTable.PSVersion, [Environment]::Version, $rid
    $target = Join-Path $CacheFolder "pwsh-r2r/$key"
    $done = Join-Path $target '.complete'
    if (Test-Path $done) { return (Join-Path $target 'pwsh.dll') }

    if (Test-Path $target) { Remove-Item -Recurse -Force $target }
    New-Item -ItemType Directory -Force -Path $target | Out-Null
    Write-Host "ReadyToRun PowerShell $key (once; cached in $target)..."
    $crossgen = Get-Crossgen2 -WorkFolder (Join-Path $CacheFolder 'pwsh-r2r') -Rid $rid
    Copy-Item -Recurse -Path (Join-Path $PSHOME '*') -Destination $target
    $os = if ($IsWindows) { 'windows' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
    $arch = [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant()
    $compiled = 0
    foreach ($assembly in Get-ChildItem -Path $PSHOME -Filter '*.dll' -File) {
        if ((Test-ReadyToRunImage $assembly.FullName) -ne $false) { continue }
        # A response file: pwsh on Unix would expand the reference wildcards itself, and crossgen2 wants them whole.
        $response = Join-Path $CacheFolder 'pwsh-r2r/crossgen2.rsp'
        Set-Content -Path $response -Value @($assembly.FullName, '-o', (Join-Path $target $assembly.Name), '-r', (Join-Path $runtime '*.dll'),
            '-r', (Join-Path $PSHOME '*.dll'), '--targetos', $os, '--targetarch', $arch, '-O')
        $output = & $crossgen "@$response" 2>&1
        if ($LASTEXITCODE -ne 0) {
            # A facade or an assembly crossgen2 refuses stays IL only (the copy made above), as in PowerShell's own packages.
            Write-Verbose "crossgen2 left $($assembly.Name) IL only: $($output -join ' ')"
            Copy-Item -Force $assembly.FullName (Join-Path $target $assembly.Name)
            continue
        }
        $compiled++
    }
    Set-Content -Path $done -Value "$compiled assemblies compiled by $crossgen"
    Write-Host "ReadyToRun PowerShell: $compiled assemblies compiled."
    Join-Path $target 'pwsh.dll'
}

Export-ModuleMember -Function Get-ReadyToRunPowerShell
