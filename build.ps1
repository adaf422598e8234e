<#
.SYNOPSIS
    Builds, packages, tests and demonstrates SmtpOps.
.DESCRIPTION
    Run through the repository's local PowerShell tool:
        dotnet tool restore && dotnet pwsh ./build.ps1 <task>
    Tasks:
        build    compile the solution (Release).
        package  lay out the ready-to-import module under artifacts/module/SmtpOps/<version>.
        test     build, package, run the xunit and Pester suites, print "N passed, N failed".
        demo     start a local SMTP server, send a realistic daily report with the module, show what arrived.
        bench    measure against the baselines and limits on 127.0.0.1 (tests/bench); table + artifacts/bench/.
.EXAMPLE
    dotnet pwsh ./build.ps1 test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'package', 'test', 'demo', 'bench')]
    [string] $Task = 'build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
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
$PesterVersion = '6.2.0'

function Invoke-Native {
    # Runs a native command and fails the build when it fails.
    param([string] $Command, [string[]] $Arguments)
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "'$Command $($Arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-ProductVersion {
    ([xml](Get-Content -Raw (Join-Path $Root 'Directory.Build.props'))).Project.PropertyGroup.VersionPrefix |
        Where-Object { $_ } | Select-Object -First 1
}

function Invoke-BuildTask {
    Invoke-Native dotnet @('build', (Join-Path $Root 'SmtpOps.sln'), '-c', $Configuration, '--nologo', '-v', 'minimal')
}

function Invoke-PackageTask {
    # The module folder: manifest, formats, help, the cmdlet assembly and its load-context helper at the
    # root (default load context), SmtpOps.Core and all its dependencies in Dependencies/ (the module's
    # own load context on PowerShell 7, see README "Dependency isolation"). Nothing else.
    # System.Management.Automation.dll is never shipped: the host provides it.
    $version = Get-ProductVersion
    $moduleRoot = Join-Path $Artifacts "module/SmtpOps/$version"
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
    $manifest = $manifest -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion        = '$version'"
    Set-Content -Path (Join-Path $moduleRoot 'SmtpOps.psd1') -Value $manifest -Encoding utf8NoBOM
    Write-Host "Module laid out at $moduleRoot"
    Join-Path $moduleRoot 'SmtpOps.psd1'
}

function Publish-ModulePackage([string] $ModuleManifest) {
    # A gallery-ready .nupkg, made the way a release would be: Publish-PSResource (PSResourceGet ships with
    # PowerShell 7.6) to a file repository registered for this run only.
    $repository = Join-Path $Artifacts 'psrepo'
    if (Test-Path $repository) { Remove-Item -Recurse -Force $repository }
    New-Item -ItemType Directory -Force -Path $repository | Out-Null
    $name = "SmtpOpsBuild$PID"
    Register-PSResourceRepository -Name $name -Uri $repository -Trusted
    try {
        Publish-PSResource -Path (Split-Path $ModuleManifest) -Repository $name
    }
    finally {
        Unregister-PSResourceRepository -Name $name
    }
    $package = Get-ChildItem $repository -Filter '*.nupkg' | Select-Object -First 1
    Write-Host "Module package: $($package.FullName)"
    $repository
}

function Invoke-CorePack {
    # SmtpOps.Core as a NuGet library, for cloud apps that only enqueue (SmtpRelayClient).
    $output = Join-Path $Artifacts 'nuget'
    Invoke-Native dotnet @('pack', (Join-Path $Root 'module/SmtpOps.Core/SmtpOps.Core.csproj'), '-c', $Configuration, '--no-build', '--nologo', '-o', $output) | Out-Host
    $output
}

function Get-TestServerPath {
    Join-Path $Root "tests/SmtpOps.TestServers/bin/$Configuration/net10.0/SmtpOps.TestServers.dll"
}

function Get-RelayHostPath {
    Join-Path $Root "functions/SmtpOps.Relay.LocalHost/bin/$Configuration/net10.0/SmtpOps.Relay.LocalHost.dll"
}

function Get-PesterManifest {
    # Pester comes from NuGet into an ignored cache folder; nothing is installed by hand.
    $cache = Join-Path $Root ".cache/pester"
    $manifest = Join-Path $cache "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $manifest)) {
        # Out-Host: the download's output must not become part of the returned path.
        Invoke-Native dotnet @('package', 'download', "Pester@$PesterVersion", '-o', $cache) | Out-Host
    }
    $manifest
}

function Install-Azurite {
    # Azurite (the Storage emulator for the relay tests) comes from npm, pinned by tests/azurite/package-lock.json.
    $azurite = Join-Path $Root 'tests/azurite'
    if (-not (Test-Path (Join-Path $azurite 'node_modules/azurite/dist/src/azurite.js'))) {
        Invoke-Native npm @('ci', '--prefix', $azurite, '--no-audit', '--no-fund', '--loglevel', 'error') | Out-Host
    }
}

function Enable-TestTrust {
    # A private CA for this run, trusted the way a machine trusts its company CA: through the system's root
    # store as .NET on Linux reads it (SSL_CERT_FILE: the system's roots plus the CA). Set for the processes the
    # suites start from here on; nothing on the machine changes. The TLS policy tests issue their servers'
    # certificates from it (SMTPOPS_TEST_CA).
    $folder = Join-Path $Artifacts 'test-trust'
    if (Test-Path $folder) { Remove-Item -Recurse -Force $folder }
    $bundle = & dotnet (Get-TestServerPath) test-trust --out $folder
    if ($LASTEXITCODE -ne 0) { throw "test-trust failed with exit code $LASTEXITCODE." }
    $env:SSL_CERT_FILE = $bundle
    $env:SMTPOPS_TEST_CA = $folder
}

function Invoke-XunitSuite {
    # Every xunit project under tests/ (tests/<Name>.Tests/<Name>.Tests.csproj), one results file each; the counts are summed.
    # The runners' output goes to the host (Out-Host): only the counts object may be this function's output.
    $results = Join-Path $Artifacts 'test-results'
    $passed = 0
    $failed = 0
    $projects = @(Get-ChildItem (Join-Path $Root 'tests') -Directory | ForEach-Object { Get-ChildItem $_.FullName -Filter '*.Tests.csproj' -File } | Sort-Object Name)
    if ($projects.Count -eq 0) {
        Write-Host 'xunit: no test projects found' -ForegroundColor Red
        return [pscustomobject]@{ Passed = 0; Failed = 1 }
    }
    foreach ($project in $projects) {
        $name = $project.BaseName
        $trxName = "$name.trx"
        $trx = Join-Path $results $trxName
        if (Test-Path $trx) { Remove-Item $trx }
        & dotnet test $project.FullName -c $Configuration --no-build --nologo `
            --logger "trx;LogFileName=$trxName" --logger 'console;verbosity=normal' --results-directory $results | Out-Host
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
    [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

function Invoke-PesterSuite([string] $ModuleManifest) {
    # Pester runs in its own pwsh so that the module under test loads into a clean session.
    $summary = Join-Path $Artifacts 'test-results/pester.json'
    if (Test-Path $summary) { Remove-Item $summary }
    $env:SMTPOPS_MODULE = $ModuleManifest
    $env:SMTPOPS_TESTSERVER = Get-TestServerPath
    $runner = Join-Path $Root 'tests/pester/Invoke-PesterSuite.ps1'
    & dotnet pwsh -NoProfile -File $runner -PesterManifest (Get-PesterManifest) -TestPath (Join-Path $Root 'tests/pester') -SummaryPath $summary | Out-Host
    $exit = $LASTEXITCODE
    if (-not (Test-Path $summary)) {
        Write-Host "Pester: no summary (exit code $exit)" -ForegroundColor Red
        return [pscustomobject]@{ Passed = 0; Failed = 1 }
    }
    Get-Content -Raw $summary | ConvertFrom-Json
}

function Invoke-TestTask {
    Invoke-BuildTask
    $module = Invoke-PackageTask
    $env:SMTPOPS_PSREPOSITORY = Publish-ModulePackage $module
    $env:SMTPOPS_NUGET = Invoke-CorePack
    Install-Azurite
    Enable-TestTrust
    $xunit = Invoke-XunitSuite
    $pester = Invoke-PesterSuite $module
    $passed = $xunit.Passed + $pester.Passed
    $failed = $xunit.Failed + $pester.Failed
    Write-Host ("xunit: {0} passed, {1} failed; Pester: {2} passed, {3} failed" -f $xunit.Passed, $xunit.Failed, $pester.Passed, $pester.Failed)
    # CI reads this closing line.
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Show-MimeTree($Entity, [int] $Depth = 0) {
    $pad = '  ' * $Depth
    if ($Entity -is [MimeKit.Multipart]) {
        Write-Host "$pad$($Entity.ContentType.MimeType)"
        foreach ($child in $Entity) { Show-MimeTree $child ($Depth + 1) }
        return
    }
    $size = [IO.MemoryStream]::new()
    $Entity.Content.DecodeTo($size)
    $label = if ($Entity.FileName) { " $($Entity.FileName)" } elseif ($Entity.ContentId) { " cid:$($Entity.ContentId)" } else { '' }
    Write-Host ("{0}{1}{2} ({3:n0} bytes{4})" -f $pad, $Entity.ContentType.MimeType, $label, $size.Length, $(if ($Entity.ContentId) { ", inline cid:$($Entity.ContentId)" }))
}

function Wait-SinkMessage($Sink, [int] $Count, [int] $Seconds) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (@(Get-SinkMessageFile $Sink).Count -lt $Count) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Expected $Count message(s) at the SMTP server within $Seconds s." }
        Start-Sleep -Milliseconds 200
    }
}

function Show-ReceivedMessage($Sink, [int] $Index) {
    $file = @(Get-SinkMessageFile $Sink)[$Index]
    $message = [MimeKit.MimeMessage]::Load($file.FullName)
    Write-Host "What the server received ($($file.Length.ToString('n0')) bytes), subject '$($message.Subject)':"
    Show-MimeTree $message.Body 1
    $envelope = @(Get-SinkEnvelope $Sink)[$Index]
    Write-Host "Envelope: MAIL FROM $($envelope.from), RCPT TO $($envelope.recipients -join ', '), authenticated as '$($envelope.authenticatedUser)', TLS: $($envelope.secure)"
    Write-Host "The message: $($file.FullName) (open it in any mail client)"
}

function Invoke-DemoTask {
    # The main job on embedded defaults: a local SMTP server with STARTTLS and AUTH, the packaged
    # module, a realistic daily report (module/examples/Send-DailyReport.ps1) sent directly, then the
    # same report with a large attachment through the relay (Azurite + the local relay host).
    Invoke-BuildTask
    $module = Invoke-PackageTask
    Install-Azurite
    Import-Module (Join-Path $Root 'tests/rig/SmtpSink.psm1') -Force
    Import-Module (Join-Path $Root 'tests/rig/Azurite.psm1') -Force
    Import-Module (Join-Path $Root 'tests/rig/TestServerProcess.psm1') -Force
    Import-Module (Join-Path $Root 'tests/rig/RelayHost.psm1') -Force
    $work = Join-Path $Artifacts 'demo'
    if (Test-Path $work) { Remove-Item -Recurse -Force $work }
    $user = 'reports'
    $password = [guid]::NewGuid().ToString('N')
    $sink = Start-SmtpSink -Directory (Join-Path $work 'mailbox') -StartTls -User "${user}:$password" -ServerPath (Get-TestServerPath)
    $azurite = $null
    $relayHost = $null
    try {
        Import-Module $module -Force
        # The demo reads what arrived with MimeKit and lists blobs with the Storage SDK: its own copies, loaded
        # from the module's Dependencies/ into the session (the module itself uses its private load context).
        Add-Type -Path (Join-Path (Split-Path $module) 'Dependencies/MimeKit.dll')
        Add-Type -Path (Join-Path (Split-Path $module) 'Dependencies/Azure.Storage.Blobs.dll')
        Write-Host "`nLocal SMTP server on 127.0.0.1:$($sink.Port): STARTTLS (self-signed certificate $($sink.Thumbprint)), AUTH required.`n"
        $transcript = Join-Path $work 'smtp-transcript.log'
        $send = @{
            SmtpServer            = '127.0.0.1'
            Port                  = $sink.Port
            Security              = 'StartTls'
            CertificateThumbprint = $sink.Thumbprint
            Credential            = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
            TranscriptPath        = $transcript
        }
        $report = Join-Path $Root 'module/examples/Send-DailyReport.ps1'
        Write-Host '== 1. Send-SmtpMail, directly over SMTP =='
        $result = & $report -From 'Reports <reports@contoso.example>' -To 'Operations <ops@contoso.example>' -WorkFolder (Join-Path $work 'report') -SendParameters $send
        $result | Format-List | Out-Host
        Show-ReceivedMessage $sink 0
        Write-Host "The SMTP dialogue, AUTH redacted: $transcript"
        Get-Content $transcript | Select-String -Pattern ' C: AUTH' | ForEach-Object { Write-Host "  $($_.Line)" }

        Write-Host "`n== 2. Send-SmtpMail -RelayQueue: Azure Storage queue (Azurite) -> relay host -> smarthost =="
        $azurite = Start-Azurite -Directory (Join-Path $work 'azurite')
        $relayHost = Start-RelayHost -HostPath (Get-RelayHostPath) -Azurite $azurite -Sink $sink -User $user -Password $password -Directory (Join-Path $work 'relay')
        $big = Join-Path $work 'report/service-health-detail.csv'
        $lines = 1..40000 | ForEach-Object { "svc-{0:d5},westeurope,{1},{2}" -f $_, (1000 + $_ * 7), ($_ % 97) }
        Set-Content -Path $big -Value (@('Service,Region,Requests,Errors') + $lines)
        $relay = @{ RelayQueue = 'smtpops-relay'; RelayConnectionString = $azurite.ConnectionString }
        $queued = & $report -From 'Reports <reports@contoso.example>' -To 'Operations <ops@contoso.example>' -WorkFolder (Join-Path $work 'report') `
            -AdditionalAttachments $big -SendParameters $relay
        $queued | Format-List | Out-Host
        Write-Host "Queued with $($queued.BlobCount) blob(s) for the $([math]::Round((Get-Item $big).Length / 1MB, 1)) MB attachment; waiting for the relay to deliver..."
        Wait-SinkMessage $sink 2 60
        Show-ReceivedMessage $sink 1
        $blobs = [Azure.Storage.Blobs.BlobContainerClient]::new($azurite.ConnectionString, 'smtpops-relay-attachments')
        Write-Host "Blobs left in smtpops-relay-attachments: $(@($blobs.GetBlobs()).Count)"
    }
    finally {
        if ($relayHost) { Stop-TestServerProcess $relayHost }
        if ($azurite) { Stop-Azurite $azurite }
        Stop-SmtpSink $sink
    }
}

function Invoke-BenchTask {
    # The measuring is in tests/bench/Invoke-Benchmarks.ps1 (pwsh side) and tests/SmtpOps.Benchmarks (C# limits).
    Invoke-BuildTask
    $module = Invoke-PackageTask
    Install-Azurite
    $bench = Join-Path $Root "tests/SmtpOps.Benchmarks/bin/$Configuration/net10.0/SmtpOps.Benchmarks.dll"
    Invoke-Native dotnet @('pwsh', '-NoProfile', '-File', (Join-Path $Root 'tests/bench/Invoke-Benchmarks.ps1'), '-ModuleManifest', $module,
        '-ServerPath', (Get-TestServerPath), '-RelayHostPath', (Get-RelayHostPath), '-BenchmarkPath', $bench, '-OutputDirectory', (Join-Path $Artifacts 'bench'))
}

Push-Location $Root
try {
    switch ($Task) {
        'build' { Invoke-BuildTask }
        'package' {
            $module = Invoke-PackageTask
            Publish-ModulePackage $module | Out-Null
            Invoke-CorePack | Out-Null
        }
        'test' { Invoke-TestTask }
        'demo' { Invoke-DemoTask }
        'bench' { Invoke-BenchTask }
    }
}
finally {
    Pop-Location
}
