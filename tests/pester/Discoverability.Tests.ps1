#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Every exported cmdlet explains itself: help, examples, links, output types with views, completion.

BeforeDiscovery {
    $script:Cmdlets = (Import-PowerShellDataFile $env:SMTPOPS_MODULE).CmdletsToExport | ForEach-Object { @{ Name = $_ } }
}

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
}

Describe '<Name>' -ForEach $Cmdlets {
    BeforeAll {
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
    }

    It 'has a synopsis, a description, at least 3 examples and related links' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 3
        @($help.Examples.Example | Where-Object { -not ($_.Code | Out-String).Trim() }) | Should -BeNullOrEmpty
        @($help.RelatedLinks.NavigationLink).Count | Should -BeGreaterOrEqual 1
    }

    It 'describes every parameter' {
        $documented = @($help.Parameters.Parameter | Where-Object { ($_.Description | Out-String).Trim() }) | ForEach-Object Name
        $command.Parameters.Keys | Where-Object { $_ -notin $Common -and $_ -notin $documented } | Should -BeNullOrEmpty
    }

    It 'declares output types that all have a default view' {
        $command.OutputType | Should -Not -BeNullOrEmpty
        foreach ($type in $command.OutputType.Name | Sort-Object -Unique) {
            Get-FormatData -TypeName $type | Should -Not -BeNullOrEmpty -Because "$type needs a view"
        }
    }
}

Describe 'about_SmtpOps and completion' {
    It 'has an about topic' {
        (Get-Help about_SmtpOps | Out-String) | Should -Match 'RELAY'
    }

    It 'completes <Parameter> with <Expected>' -ForEach @(
        @{ Parameter = '-Security '; Expected = 'StartTls' }
        @{ Parameter = '-DeliveryNotificationOption '; Expected = 'OnFailure' }
        @{ Parameter = '-Encoding '; Expected = 'utf8' }
        @{ Parameter = '-SmtpServer smtp.g'; Expected = 'smtp.gmail.com' }
    ) {
        $line = "Send-SmtpMail $Parameter"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain $Expected
    }
}
