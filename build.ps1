<#
.SYNOPSIS
    Builds, packages, tests and demonstrates SmtpOps.
.DESCRIPTION
    Run through the repository's local PowerShell tool:
        dotnet tool restore && dotnet pwsh ./build.ps1 <task>
    Tasks, and the tasks each one needs first:
        build    compile the solution (Release).
        package  (build) lay out the module under artifacts/module/SmtpOps/<version>, publish it to artifacts/psrepo
                 and pack SmtpOps.Core into artifacts/nuget.
        test     (package) dotnet format check, xunit and Pester suites, "N passed, N failed" (tests/rig/Invoke-TestSuite.ps1).
        demo     (package) a local SMTP server, a realistic daily report sent with the module, what arrived (tests/rig/Invoke-Demo.ps1).
        bench    (package) measure against the baselines and limits on 127.0.0.1 (tests/bench); table + artifacts/bench/.
                 -Only Relay (or another benchmark's name) runs a part.
    build and package skip their work when nothing they read has changed since they last succeeded
    (a fingerprint of the sources under module/, functions/ and tests/ and the repository's build files,
    kept in artifacts/.stamps/); -Force does it anyway.
.EXAMPLE
    dotnet pwsh ./build.ps1 test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'package', 'test', 'demo', 'bench')]
    [string] $Task = 'build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Build and package even when they are up to date.
    [switch] $Force,

    # bench: only these benchmarks (Invoke-Benchmarks.ps1 -Only: BulkSend, Latency, ModuleImport, LargeAttachment,
    # MxResolution, Probing, TlsScan, Relay, Budget, DkimSigning, Smime), e.g. ./build.ps1 bench -Only Relay.
    [string[]] $Only = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# Output for logs: no ANSI escape codes when the output goes to a file or a pipe, or when NO_COLOR is set
# (https://no-color.org). pwsh's default OutputRendering 'Host' still colours formatted output and errors
# written to a redirected stdout; NO_COLOR carries the choice to the child pwsh processes (Pester, bench).
if ($env:NO_COLOR -or [Console]::IsOutputRedirected) {
    $PSStyle.OutputRendering = 'PlainText'
    $env:NO_COLOR = '1'
}

$Root = $PSScriptRoot
$Artifacts = Join-Path $Root 'artifacts'
$Version = ([xml](Get-Content -Raw (Join-Path $Root 'Directory.Build.props'))).Project.PropertyGroup.VersionPrefix | Where-Object { $_ } | Select-Object -First 1
$ModuleManifest = Join-Path $Artifacts "module/SmtpOps/$Version/SmtpOps.psd1"
$PSRepository = Join-Path $Artifacts 'psrepo'
$NuGetFolder = Join-Path $Artifacts 'nuget'
$TestServerPath = Join-Path $Root "tests/SmtpOps.TestServers/bin/$Configuration/net10.0/SmtpOps.TestServers.dll"
$RelayHostPath = Join-Path $Root "functions/SmtpOps.Relay.LocalHost/bin/$Configuration/net10.0/SmtpOps.Relay.LocalHost.dll"

# The task graph: what each task needs first, and what it does. Each task runs at most once per invocation.
$Tasks = [ordered]@{
    build   = @{ Needs = @(); Run = { Invoke-BuildTask } }
    package = @{ Needs = @('build'); Run = { Invoke-PackageTask } }
    test    = @{ Needs = @('package'); Run = { Invoke-TestTask } }
    demo    = @{ Needs = @('package'); Run = { Invoke-DemoTask } }
    bench   = @{ Needs = @('package'); Run = { Invoke-BenchTask } }
}

function Invoke-Native {
    # Runs a native command and fails the build when it fails.
    param([string] $Command, [string[]] $Arguments)
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "'$Command $($Arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-SourceFingerprint {
    # What build and package read: every file under module/, functions/ and tests/ (not bin/, obj/, node_modules/,
    # TestResults/) and the repository's build files, by path, size and time. A change, an added or a removed file
    # changes it.
    $lines = [Collections.Generic.List[string]]::new()
    $lines.Add("configuration $Configuration")
    function Add-Folder([string] $Folder) {
        foreach ($file in [IO.Directory]::EnumerateFiles($Folder)) {
            $info = [IO.FileInfo]::new($file)
            $lines.Add(('{0}|{1}|{2}' -f [IO.Path]::GetRelativePath($Root, $file), $info.Length, $info.LastWriteTimeUtc.Ticks))
        }
        foreach ($child in [IO.Directory]::EnumerateDirectories($Folder)) {
            if ([IO.Path]::GetFileName($child) -notin 'bin', 'obj', 'node_modules', 'TestResults') { Add-Folder $child }
        }
    }
    foreach ($folder in 'module', 'functions', 'tests') { Add-Folder (Join-Path $Root $folder) }
    foreach ($file in 'build.ps1', 'SmtpOps.sln', 'global.json', 'Directory.Build.props', 'Directory.Packages.props', '.editorconfig', '.config/dotnet-tools.json') {
        $info = [IO.FileInfo]::new((Join-Path $Root $file))
        $lines.Add(('{0}|{1}|{2}' -f $file, $(if ($info.Exists) { $info.Length } else { -1 }), $info.LastWriteTimeUtc.Ticks))
    }
    $bytes = [Text.Encoding]::UTF8.GetBytes(($lines | Sort-Object) -join "`n")
    [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes))
}

function Test-UpToDate([string] $Name, [string[]] $Outputs) {
    # True when the task last succeeded on these very sources and its outputs are still there.
    if ($Force) { return $false }
    $stamp = Join-Path $Artifacts ".stamps/$Name"
    if (-not (Test-Path $stamp) -or (Get-Content -Raw $stamp).Trim() -ne $script:Fingerprint) { return $false }
    -not ($Outputs | Where-Object { -not (Test-Path $_) })
}

function Set-UpToDate([string] $Name) {
    New-Item -ItemType Directory -Force -Path (Join-Path $Artifacts '.stamps') | Out-Null
    Set-Content -Path (Join-Path $Artifacts ".stamps/$Name") -Value $script:Fingerprint
}

function Invoke-BuildTask {
    $outputs = @((Join-Path $Root "module/SmtpOps.PowerShell/bin/$Configuration/netstandard2.0/SmtpOps.dll"), $TestServerPath, $RelayHostPath)
    if (Test-UpToDate 'build' $outputs) {
        Write-Host 'build: up to date, nothing compiled (sources unchanged since the last build).'
        return
    }
    Invoke-Native dotnet @('build', (Join-Path $Root 'SmtpOps.sln'), '-c', $Configuration, '--nologo', '-v', 'minimal')
    Set-UpToDate 'build'
}

function Invoke-PackageTask {
    if (Test-UpToDate 'package' @($ModuleManifest, (Join-Path $PSRepository "SmtpOps.$Version.nupkg"), (Join-Path $NuGetFolder "SmtpOps.Core.$Version.nupkg"))) {
        Write-Host "package: up to date, nothing laid out or published ($ModuleManifest)."
        return
    }
    Write-ModuleLayout
    Publish-ModulePackage
    # SmtpOps.Core as a NuGet library, for cloud apps that only enqueue (SmtpRelayClient).
    Invoke-Native dotnet @('pack', (Join-Path $Root 'module/SmtpOps.Core/SmtpOps.Core.csproj'), '-c', $Configuration, '--no-build', '--nologo', '-o', $NuGetFolder)
    Set-UpToDate 'package'
}

function Write-ModuleLayout {
    # The module folder: manifest, formats, help, the cmdlet assembly and its load-context helper at the
    # root (default load context), SmtpOps.Core and all its dependencies in Dependencies/ (the module's
    # own load context on PowerShell 7, see README "Dependency isolation"). Nothing else.
    # System.Management.Automation.dll is never shipped: the host provides it.
    $moduleRoot = Split-Path $ModuleManifest
    if (Test-Path $moduleRoot) { Remove-Item -Recurse -Force $moduleRoot }
    $dependencies = Join-Path $moduleRoot 'Dependencies'
    New-Item -ItemType Directory -Force -Path $dependencies | Out-Null

    $bin = Join-Path $Root "module/SmtpOps.PowerShell/bin/$Configuration/netstandard2.0"
    Copy-Item (Join-Path $bin 'SmtpOps.dll'), (Join-Path $bin 'SmtpOps.pdb') -Destination $moduleRoot
    $loadContext = Join-Path $Root "module/SmtpOps.LoadContext/bin/$Configuration/net8.0"
    Copy-Item (Join-Path $loadContext 'SmtpOps.LoadContext.dll'), (Join-Path $loadContext 'SmtpOps.LoadContext.pdb') -Destination $moduleRoot
    Get-ChildItem $bin -Filter *.dll |
        Where-Object Name -NotIn 'SmtpOps.dll', 'System.Management.Automation.dll' |
        Copy-Item -Destination $dependencies
    Copy-Item (Join-Path $bin 'SmtpOps.Core.pdb') $dependencies
    Copy-Item (Join-Path $Root 'module/SmtpOps.format.ps1xml') $moduleRoot
    Copy-Item -Recurse (Join-Path $Root 'module/en-US') $moduleRoot

    $manifest = Get-Content -Raw (Join-Path $Root 'module/SmtpOps.psd1')
    $manifest = $manifest -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion        = '$Version'"
    Set-Content -Path $ModuleManifest -Value $manifest -Encoding utf8NoBOM
    # The cmdlets' help is built, not kept: prose from module/help/<Cmdlet>.md, syntax and parameter facts from the
    # cmdlets themselves (module/help/ConvertTo-MamlHelp.ps1), in its own pwsh so this session loads no module.
    Invoke-Native dotnet @('pwsh', '-NoProfile', '-File', (Join-Path $Root 'module/help/ConvertTo-MamlHelp.ps1'), '-ModuleManifest', $ModuleManifest,
        '-SourceFolder', (Join-Path $Root 'module/help'), '-OutFile', (Join-Path $moduleRoot 'en-US/SmtpOps.dll-Help.xml'))
    Write-Host "Module laid out at $moduleRoot"
}

function Publish-ModulePackage {
    # A gallery-ready .nupkg, made the way a release would be: Publish-PSResource (PSResourceGet ships with
    # PowerShell 7.6) to a file repository registered for this run only.
    if (Test-Path $PSRepository) { Remove-Item -Recurse -Force $PSRepository }
    New-Item -ItemType Directory -Force -Path $PSRepository | Out-Null
    $name = "SmtpOpsBuild$PID"
    Register-PSResourceRepository -Name $name -Uri $PSRepository -Trusted
    try {
        Publish-PSResource -Path (Split-Path $ModuleManifest) -Repository $name
    }
    finally {
        Unregister-PSResourceRepository -Name $name
    }
    Write-Host "Module package: $((Get-ChildItem $PSRepository -Filter '*.nupkg' | Select-Object -First 1).FullName)"
}

function Invoke-TestTask {
    # The suite's script prints the closing "N passed, N failed" line and exits 1 when anything failed.
    & (Join-Path $Root 'tests/rig/Invoke-TestSuite.ps1') -Configuration $Configuration -ModuleManifest $ModuleManifest -PSRepository $PSRepository -NuGetFolder $NuGetFolder
    $script:ExitCode = $LASTEXITCODE
}

function Invoke-DemoTask {
    & (Join-Path $Root 'tests/rig/Invoke-Demo.ps1') -ModuleManifest $ModuleManifest -ServerPath $TestServerPath -RelayHostPath $RelayHostPath -WorkFolder (Join-Path $Artifacts 'demo')
}

function Invoke-BenchTask {
    # The measuring is in tests/bench/Invoke-Benchmarks.ps1 (pwsh side) and tests/SmtpOps.Benchmarks (C# limits).
    Import-Module (Join-Path $Root 'tests/rig/Azurite.psm1') -Force
    Install-Azurite
    $bench = Join-Path $Root "tests/SmtpOps.Benchmarks/bin/$Configuration/net10.0/SmtpOps.Benchmarks.dll"
    $emptyModule = Join-Path $Root "tests/SmtpOps.Benchmarks.EmptyModule/bin/$Configuration/netstandard2.0/SmtpOps.Benchmarks.EmptyModule.dll"
    $arguments = @('pwsh', '-NoProfile', '-File', (Join-Path $Root 'tests/bench/Invoke-Benchmarks.ps1'), '-ModuleManifest', $ModuleManifest,
        '-ServerPath', $TestServerPath, '-RelayHostPath', $RelayHostPath, '-BenchmarkPath', $bench, '-EmptyModulePath', $emptyModule,
        '-CacheFolder', (Join-Path $Root '.cache'), '-OutputDirectory', (Join-Path $Artifacts 'bench'))
    if ($Only) { $arguments += @('-Only', ($Only -join ',')) }
    # The LocalHost as an operator runs it on a VM: published ReadyToRun for this machine (functions/README.md,
    # "Running without Azure Functions"); the relay rows compare it with the build output's JIT.
    if (-not $Only -or (($Only -join ',') -split ',') -contains 'Relay') {
        $readyToRun = Join-Path $Artifacts 'relay-localhost'
        Invoke-Native dotnet @('publish', (Join-Path $Root 'functions/SmtpOps.Relay.LocalHost'), '-c', $Configuration,
            '-r', [Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier, '-o', $readyToRun, '--nologo', '-v', 'quiet')
        $arguments += @('-RelayHostReadyToRunPath', (Join-Path $readyToRun 'SmtpOps.Relay.LocalHost.dll'))
    }
    Invoke-Native dotnet $arguments
}

function Invoke-Task([string] $Name, [Collections.Generic.HashSet[string]] $Done) {
    if (-not $Done.Add($Name)) { return }
    foreach ($need in $Tasks[$Name].Needs) { Invoke-Task $need $Done }
    & $Tasks[$Name].Run
}

Push-Location $Root
try {
    $script:Fingerprint = Get-SourceFingerprint
    $script:ExitCode = 0
    Invoke-Task $Task ([Collections.Generic.HashSet[string]]::new())
    exit $script:ExitCode
}
finally {
    Pop-Location
}
