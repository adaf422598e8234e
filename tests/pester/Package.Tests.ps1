#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The packages build.ps1 makes: the module's .nupkg through PSResourceGet, and SmtpOps.Core for NuGet.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-package-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:Manifest = Import-PowerShellDataFile $env:SMTPOPS_MODULE
}

AfterAll {
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'The module package' {
    It 'has a complete manifest without wildcard exports' {
        $Manifest.ModuleVersion | Should -Match '^\d+\.\d+\.\d+$'
        $Manifest.GUID | Should -Not -BeNullOrEmpty
        $Manifest.Author | Should -Not -BeNullOrEmpty
        $Manifest.Description | Should -Not -BeNullOrEmpty
        $Manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $Manifest.PowerShellVersion | Should -Be '5.1'
        $Manifest.CmdletsToExport | Should -Be @('Send-SmtpMail', 'Test-SmtpServer', 'Resolve-MailExchanger', 'Test-SpfRecord', 'New-DkimKey', 'Test-DkimKey', 'Get-SmtpRelayQueue', 'Get-SmtpRelayFailure', 'Resume-SmtpRelayFailure', 'Remove-SmtpRelayFailure', 'Find-SmtpRelayMessage')
        $Manifest.FunctionsToExport.Count + $Manifest.AliasesToExport.Count + $Manifest.VariablesToExport.Count | Should -Be 0
        $Manifest.FormatsToProcess | Should -Be @('SmtpOps.format.ps1xml')
        $Manifest.PrivateData.PSData.Tags | Should -Contain 'PSEdition_Core'
        $Manifest.PrivateData.PSData.LicenseUri | Should -Not -BeNullOrEmpty
    }

    It 'never ships System.Management.Automation' {
        Get-ChildItem (Split-Path $env:SMTPOPS_MODULE) -Recurse -Filter 'System.Management.Automation.dll' | Should -BeNullOrEmpty
    }

    It 'installs from the PSResourceGet repository into a clean module path and sends mail' {
        $repository = "SmtpOpsTest$PID"
        $modules = Join-Path $Work 'modules'
        New-Item -ItemType Directory -Path $modules | Out-Null
        Register-PSResourceRepository -Name $repository -Uri $env:SMTPOPS_PSREPOSITORY -Trusted
        try {
            Save-PSResource -Name SmtpOps -Repository $repository -Path $modules -TrustRepository
        }
        finally {
            Unregister-PSResourceRepository -Name $repository
        }
        Test-Path (Join-Path $modules "SmtpOps/$($Manifest.ModuleVersion)/SmtpOps.psd1") | Should -BeTrue

        $sink = Start-SmtpSink -Directory (Join-Path $Work 'sink')
        try {
            # A fresh pwsh that knows only the installed copy, found by name.
            $script = "`$env:PSModulePath = '$modules'; Import-Module SmtpOps -ErrorAction Stop; " +
                "(Get-Module SmtpOps).ModuleBase; Send-SmtpMail -To ops@contoso.test -From a@contoso.test -Subject Installed -SmtpServer 127.0.0.1 -Port $($sink.Port)"
            $output = & dotnet pwsh -NoProfile -NonInteractive -Command $script 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
            ($output -join "`n") | Should -Match ([regex]::Escape($modules))
            Get-SinkMessageFile $sink | Should -HaveCount 1
        }
        finally {
            Stop-SmtpSink $sink
        }
    }

    It 'packs SmtpOps.Core as a NuGet library with its dependencies declared' {
        $package = Get-ChildItem $env:SMTPOPS_NUGET -Filter 'SmtpOps.Core.*.nupkg' | Select-Object -First 1
        $package | Should -Not -BeNullOrEmpty
        $zip = [IO.Compression.ZipFile]::OpenRead($package.FullName)
        try {
            $zip.Entries.FullName | Should -Contain 'lib/netstandard2.0/SmtpOps.Core.dll'
            $nuspec = [xml]([IO.StreamReader]::new(($zip.Entries | Where-Object FullName -like '*.nuspec').Open()).ReadToEnd())
            $dependencies = $nuspec.package.metadata.dependencies.group.dependency.id
            $dependencies | Should -Contain 'MailKit'
            $dependencies | Should -Contain 'Azure.Storage.Queues'
        }
        finally {
            $zip.Dispose()
        }
    }
}
