#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Dependency isolation on PowerShell 7: SmtpOps.Core and its dependencies live in the module's own
# AssemblyLoadContext, so a session that has loaded other versions of them (here Azure.Core 1.36.0 and
# MailKit 4.0.0, as another module would) keeps those versions while SmtpOps works with its own.
# Each test runs in a fresh pwsh (a load context cannot be unloaded, and the default context keeps
# whatever was loaded first), started from the repository root so the local tool manifest is found.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/Azurite.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/DnsServer.psm1') -Force
    $script:RepositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-isolation-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null

    # Older versions of two of our dependencies, from NuGet into the ignored .cache folder (once).
    $cache = Join-Path $script:RepositoryRoot '.cache/conflicts'
    $script:Conflicts = @{
        AzureCore = Join-Path $cache 'azure.core/1.36.0/lib/net6.0/Azure.Core.dll'
        MailKit   = Join-Path $cache 'mailkit/4.0.0/lib/net6.0/MailKit.dll'
    }
    foreach ($package in @(@{ Id = 'Azure.Core@1.36.0'; Dll = $script:Conflicts.AzureCore }, @{ Id = 'MailKit@4.0.0'; Dll = $script:Conflicts.MailKit })) {
        if (-not (Test-Path $package.Dll)) {
            & dotnet package download $package.Id -o $cache | Out-Host
            if ($LASTEXITCODE -ne 0) { throw "dotnet package download $($package.Id) failed." }
        }
    }

    $script:Sink = Start-SmtpSink -Directory (Join-Path $script:Work 'sink')

    function Invoke-FreshPwsh([string] $Name, [string[]] $Script, [hashtable] $Arguments = @{}) {
        # Runs the $Script parts (joined by lines) in a new pwsh with $Arguments as variables; it writes one JSON object as its last line.
        $preamble = "`$ErrorActionPreference = 'Stop'`n"
        foreach ($key in $Arguments.Keys) { $preamble += "`$$key = '$($Arguments[$key] -replace "'", "''")'`n" }
        $file = Join-Path $script:Work "$Name.ps1"
        Set-Content -Path $file -Value ($preamble + ($Script -join "`n")) -Encoding utf8NoBOM
        Push-Location $script:RepositoryRoot
        try { $output = & dotnet pwsh -NoProfile -NonInteractive -File $file 2>&1 } finally { Pop-Location }
        $exit = $LASTEXITCODE
        $text = ($output | ForEach-Object { "$_" }) -join "`n"
        if ($exit -ne 0) { throw "The child pwsh ($Name) failed with exit code ${exit}:`n$text" }
        $output | ForEach-Object { "$_" } | Where-Object { $_.StartsWith('{') } | Select-Object -Last 1 | ConvertFrom-Json
    }

    # Shared child-side snippets: load the conflicting versions by path, send a mail, report the versions.
    $script:LoadConflicts = @'
Add-Type -Path $AzureCore
Add-Type -Path $MailKit
'@
    $script:UseConflicts = @'
$etag = [Azure.ETag]::new('"v1"')
$session = [ordered]@{
    AzureCore     = [Azure.ETag].Assembly.GetName().Version.ToString()
    MailKit       = [MailKit.Net.Smtp.SmtpClient].Assembly.GetName().Version.ToString()
    AzureCoreUsed = ($etag.ToString() -eq '"v1"') -and ([Azure.Core.HttpHeader]::new('X-Test', '1').Value -eq '1')
}
'@
    $script:SendMail = @'
$sent = Send-SmtpMail -To 'ops@contoso.test' -From 'reports@contoso.test' -Subject $Subject -Body 'isolated' `
    -SmtpServer 127.0.0.1 -Port ([int]$Port) -Security None -PassThru
'@
    $script:ModuleVersions = @'
function Get-ModuleAssemblies {
    # Our dependencies as loaded in this process, with the load context each lives in.
    [AppDomain]::CurrentDomain.GetAssemblies() |
        Where-Object { $_.GetName().Name -in 'SmtpOps', 'SmtpOps.Core', 'MailKit', 'MimeKit', 'Azure.Core', 'Azure.Storage.Queues', 'DnsClient', 'BouncyCastle.Cryptography' } |
        ForEach-Object { [ordered]@{ Name = $_.GetName().Name; Version = $_.GetName().Version.ToString(); Context = [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name } }
}
'@
    $script:Common = @{
        AzureCore = $script:Conflicts.AzureCore
        MailKit   = $script:Conflicts.MailKit
        Port      = $script:Sink.Port
    }
}

AfterAll {
    if ($script:Sink) { Stop-SmtpSink $script:Sink }
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'SmtpOps in a session that already holds other versions of its dependencies' {
    It '(a) other versions loaded first: they stay in the session while Send-SmtpMail works' {
        $result = Invoke-FreshPwsh 'conflict-first' (@($LoadConflicts, $ModuleVersions, @'
Import-Module $env:SMTPOPS_MODULE
$Subject = 'conflict first'
'@, $SendMail, $UseConflicts, @'
[ordered]@{ Session = $session; Status = $sent.StatusCode; MessageId = $sent.MessageId; Loaded = @(Get-ModuleAssemblies) } | ConvertTo-Json -Depth 4 -Compress
'@)) ($Common + @{})

        $result.Session.AzureCore | Should -Be '1.36.0.0'
        $result.Session.MailKit | Should -Be '4.0.0.0'
        $result.Session.AzureCoreUsed | Should -BeTrue
        $result.Status | Should -Be 250
        # Both versions live side by side: the session's in the default context, ours in the module's.
        $mailKit = @($result.Loaded | Where-Object Name -eq 'MailKit')
        ($mailKit | Where-Object Context -eq 'Default').Version | Should -Be '4.0.0.0'
        ($mailKit | Where-Object Context -eq 'SmtpOps').Version | Should -Not -Be '4.0.0.0'
        ($result.Loaded | Where-Object Name -eq 'SmtpOps.Core').Context | Should -Be 'SmtpOps'
        ($result.Loaded | Where-Object Name -eq 'SmtpOps').Context | Should -Be 'Default'
        $arrived = Get-SinkMessageFile $Sink | Where-Object { (Get-Content -Raw $_.FullName) -match 'Subject: conflict first' }
        $arrived | Should -HaveCount 1
    }

    It '(b) SmtpOps imported and used first: the other versions load and work afterwards' {
        $result = Invoke-FreshPwsh 'smtpops-first' (@($ModuleVersions, @'
Import-Module $env:SMTPOPS_MODULE
$Subject = 'smtpops first'
'@, $SendMail, @'
$first = $sent.StatusCode
'@, $LoadConflicts, $UseConflicts, @'
$Subject = 'smtpops again'
'@, $SendMail, @'
[ordered]@{ Session = $session; First = $first; Second = $sent.StatusCode; Loaded = @(Get-ModuleAssemblies) } | ConvertTo-Json -Depth 4 -Compress
'@)) $Common

        $result.First | Should -Be 250
        $result.Second | Should -Be 250
        $result.Session.AzureCore | Should -Be '1.36.0.0'
        $result.Session.MailKit | Should -Be '4.0.0.0'
        $result.Session.AzureCoreUsed | Should -BeTrue
        (@($result.Loaded | Where-Object { $_.Name -eq 'Azure.Core' -and $_.Context -eq 'Default' })).Version | Should -Be '1.36.0.0'
    }

    It '(c) enqueues to Azurite and resolves MX in the conflicting session' {
        $azurite = Start-Azurite -Directory (Join-Path $Work 'azurite')
        $records = @(
            @{ name = 'contoso.test'; type = 'MX'; value = '10 mx1.contoso.test'; ttl = 300 }
            @{ name = 'mx1.contoso.test'; type = 'A'; value = '192.0.2.11'; ttl = 300 }
        )
        $dns = Start-TestDnsServer -Zone @{ records = $records; serverFailure = @(); refused = @(); silent = @(); authenticated = @() } -Directory (Join-Path $Work 'dns')
        try {
            $result = Invoke-FreshPwsh 'conflict-relay-dns' (@($LoadConflicts, $ModuleVersions, @'
Import-Module $env:SMTPOPS_MODULE
$queued = Send-SmtpMail -RelayQueue 'isolation' -RelayConnectionString $Storage -From 'reports@contoso.test' -To 'ops@contoso.test' -Subject 'queued' -Body 'x' -PassThru
$mx = @(Resolve-MailExchanger contoso.test -Server $Dns -NoRandomize)
'@, $UseConflicts, @'
[ordered]@{ Session = $session; Status = "$($queued.Status)"; Exchange = $mx[0].Exchange; Address = "$($mx[0].Addresses[0])"; Loaded = @(Get-ModuleAssemblies) } | ConvertTo-Json -Depth 4 -Compress
'@)) ($Common + @{ Storage = $azurite.ConnectionString; Dns = $dns.Server })
        }
        finally {
            Stop-TestDnsServer $dns
            Stop-Azurite $azurite
        }

        $result.Status | Should -Be 'Queued'
        $result.Exchange | Should -Be 'mx1.contoso.test'
        $result.Address | Should -Be '192.0.2.11'
        $result.Session.AzureCore | Should -Be '1.36.0.0'
        $result.Session.AzureCoreUsed | Should -BeTrue
        $azureCore = @($result.Loaded | Where-Object Name -eq 'Azure.Core')
        ($azureCore | Where-Object Context -eq 'SmtpOps').Version | Should -Not -Be '1.36.0.0'
        ($result.Loaded | Where-Object Name -eq 'DnsClient').Context | Should -Be 'SmtpOps'
    }

    It '(d) measures Import-Module in a fresh session (reported, not asserted)' {
        $result = Invoke-FreshPwsh 'import-time' (@(@'
$import = [Diagnostics.Stopwatch]::StartNew()
Import-Module $env:SMTPOPS_MODULE
$import.Stop()
$Subject = 'timing'
$first = [Diagnostics.Stopwatch]::StartNew()
'@, $SendMail, @'
$first.Stop()
[ordered]@{ ImportMs = $import.Elapsed.TotalMilliseconds; FirstSendMs = $first.Elapsed.TotalMilliseconds } | ConvertTo-Json -Compress
'@)) $Common
        Write-Host ("    Import-Module SmtpOps: {0:n0} ms; first Send-SmtpMail (loads Core, MailKit, MimeKit in the module's context): {1:n0} ms" -f $result.ImportMs, $result.FirstSendMs)
        $result.ImportMs | Should -BeGreaterThan 0
    }
}

Describe 'Core types through the module load context' {
    It 'binds enums from strings, completes them, resolves type literals, applies the format views and exposes no MailKit, MimeKit or Azure type' {
        $result = Invoke-FreshPwsh 'types' (@($LoadConflicts, @'
Import-Module $env:SMTPOPS_MODULE
$Subject = 'types'
$sent = Send-SmtpMail -To 'ops@contoso.test' -From 'reports@contoso.test' -Subject $Subject -SmtpServer 127.0.0.1 -Port ([int]$Port) -Security 'None' -Priority 'High' -DeliveryNotificationOption 'OnFailure' -PassThru
$securityType = (Get-Command Send-SmtpMail).Parameters['Security'].ParameterType
$completion = (TabExpansion2 'Test-SmtpServer x -Security StartT' 33).CompletionMatches.CompletionText
$table = $sent | Format-Table | Out-String
# Type literals: PowerShell 7 looks only in the default context; the module registers Core's types as accelerators.
$literal = "$([SmtpOps.Smtp.SmtpSecurity]::StartTls)"
$isResult = $sent -is [SmtpOps.Smtp.SmtpSendResult]
$badEnum = try { Send-SmtpMail -To 'a@contoso.test' -From 'b@contoso.test' -SmtpServer 127.0.0.1 -Security Bogus; 'bound' } catch { $_.FullyQualifiedErrorId }

# Every public property type reachable from the cmdlets' parameters and declared outputs.
$seen = [Collections.Generic.HashSet[type]]::new()
function Visit([type] $Type) {
    if ($null -eq $Type) { return }
    if ($Type.HasElementType) { Visit $Type.GetElementType(); return }
    if ($Type.IsGenericType) { $Type.GetGenericArguments() | ForEach-Object { Visit $_ } }
    if (-not $seen.Add($Type)) { return }
    if ($Type.Assembly.GetName().Name -ne 'SmtpOps.Core') { return }
    $Type.GetProperties() | ForEach-Object { Visit $_.PropertyType }
}
foreach ($command in Get-Command -Module SmtpOps) {
    $command.Parameters.Values | ForEach-Object { Visit $_.ParameterType }
    $command.OutputType | ForEach-Object { Visit $_.Type }
}
$foreign = @($seen | Where-Object { $_.Assembly.GetName().Name -match '^(MailKit|MimeKit|Azure\.|BouncyCastle|DnsClient)' } | ForEach-Object FullName)
# The module registers a fixed list of accelerators (no walk at import): each Core type found here, and each of
# Core's exceptions (what a catch block names), must resolve as a type literal.
$exceptions = [SmtpOps.Smtp.SmtpSecurity].Assembly.GetExportedTypes() | Where-Object { [Exception].IsAssignableFrom($_) }
$unresolved = @(@($seen | Where-Object { $_.Assembly.GetName().Name -eq 'SmtpOps.Core' -and $_.IsPublic }) + @($exceptions) |
    Where-Object { -not ($_.FullName -as [type]) } | ForEach-Object FullName | Sort-Object -Unique)
[ordered]@{
    Status          = $sent.StatusCode
    SecurityType    = $securityType.FullName
    SecurityContext = [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($securityType.Assembly).Name
    Completion      = @($completion)
    Table           = $table
    BadEnum         = $badEnum
    Literal         = $literal
    IsResult        = $isResult
    CoreTypes       = @($seen | Where-Object { $_.Assembly.GetName().Name -eq 'SmtpOps.Core' }).Count
    Foreign         = $foreign
    Unresolved      = $unresolved
} | ConvertTo-Json -Compress
'@)) $Common

        $result.Status | Should -Be 250
        $result.SecurityType | Should -Be 'SmtpOps.Smtp.SmtpSecurity'
        $result.SecurityContext | Should -Be 'SmtpOps'
        $result.Completion | Should -Be @('StartTls', 'StartTlsWhenAvailable')
        # The table view of SmtpOps.format.ps1xml, found by type name.
        $result.Table | Should -Match 'Subject\s+Accepted\s+Rejected\s+Server\s+Tls'
        $result.BadEnum | Should -Be 'CannotConvertArgumentNoMessage,SmtpOps.PowerShell.Commands.SendSmtpMailCommand'
        $result.Literal | Should -Be 'StartTls'
        $result.IsResult | Should -BeTrue
        $result.CoreTypes | Should -BeGreaterThan 5
        $result.Foreign | Should -BeNullOrEmpty
        $result.Unresolved | Should -BeNullOrEmpty -Because 'every script-facing Core type is a type accelerator (Isolation/CoreTypeAccelerators.cs lists them)'
        $arrived = Get-SinkMessageFile $Sink | Where-Object { (Get-Content -Raw $_.FullName) -match 'Subject: types' }
        Get-Content -Raw $arrived[0].FullName | Should -Match 'Importance: high'
    }

    It 'lays out the module: the cmdlet assembly at the root, Core and its dependencies in Dependencies/' {
        $base = Split-Path $env:SMTPOPS_MODULE
        Test-Path (Join-Path $base 'SmtpOps.dll') | Should -BeTrue
        Test-Path (Join-Path $base 'SmtpOps.LoadContext.dll') | Should -BeTrue
        foreach ($name in 'SmtpOps.Core', 'MailKit', 'MimeKit', 'BouncyCastle.Cryptography', 'DnsClient', 'Azure.Core', 'Azure.Storage.Queues') {
            Test-Path (Join-Path $base "Dependencies/$name.dll") | Should -BeTrue -Because "$name belongs in Dependencies/"
            Test-Path (Join-Path $base "$name.dll") | Should -BeFalse -Because "$name must not sit beside the cmdlet assembly"
        }
        @(Get-ChildItem $base -Recurse -Filter 'System.Management.Automation.dll') | Should -HaveCount 0
        @(Get-ChildItem $base -Recurse -Filter 'Microsoft.CodeAnalysis*.dll') | Should -HaveCount 0
    }

    It 'keeps the cmdlets shells: SmtpOps.dll names no MailKit, MimeKit, DnsClient or Azure type, only Core''s' {
        # Read from the shipped assembly's metadata: every type it refers to, and the assembly that defines it. A cmdlet
        # that named a library type would load that library into the default context (outside the module's own) and
        # break when Core changes library.
        $path = Join-Path (Split-Path $env:SMTPOPS_MODULE) 'SmtpOps.dll'
        $stream = [IO.File]::OpenRead($path)
        try {
            $reader = [Reflection.Metadata.PEReaderExtensions]::GetMetadataReader([Reflection.PortableExecutable.PEReader]::new($stream))
            $libraries = foreach ($handle in $reader.TypeReferences) {
                $type = $reader.GetTypeReference($handle)
                $scope = $type.ResolutionScope
                while ($scope.Kind -eq [Reflection.Metadata.HandleKind]::TypeReference) { $scope = $reader.GetTypeReference([Reflection.Metadata.TypeReferenceHandle]$scope).ResolutionScope }
                if ($scope.Kind -ne [Reflection.Metadata.HandleKind]::AssemblyReference) { continue }
                $assembly = $reader.GetString($reader.GetAssemblyReference([Reflection.Metadata.AssemblyReferenceHandle]$scope).Name)
                if ($assembly -match '^(MailKit|MimeKit|DnsClient|BouncyCastle|Azure)(\.|$)') { "$assembly : $($reader.GetString($type.Namespace)).$($reader.GetString($type.Name))" }
            }
            $referenced = foreach ($handle in $reader.AssemblyReferences) { $reader.GetString($reader.GetAssemblyReference($handle).Name) }
        }
        finally { $stream.Dispose() }
        $referenced | Should -Contain 'SmtpOps.Core' -Because 'the check reads real references (Core is one)'
        @($libraries) | Should -BeNullOrEmpty
    }
}
