#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-SmtpMail's relay parameter set: enqueueing on a real Azure Storage queue (Azurite on 127.0.0.1).

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/Azurite.psm1') -Force
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-relay-$([guid]::NewGuid().ToString('N'))"
    $script:Azurite = Start-Azurite -Directory $script:Work
    $script:CommandType = 'SmtpOps.PowerShell.Commands.SendSmtpMailCommand'
    $moduleBase = (Get-Module SmtpOps).ModuleBase
    Add-Type -Path (Join-Path $moduleBase 'Dependencies/Azure.Storage.Queues.dll')

    function Get-QueuedEnvelope([string] $Queue) {
        # Read the queue raw, without the SDK's Base64 decoding, to see what the Function will get.
        $client = [Azure.Storage.Queues.QueueClient]::new($script:Azurite.ConnectionString, $Queue)
        @($client.PeekMessages(32).Value | ForEach-Object {
                [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($_.Body.ToString())) | ConvertFrom-Json
            })
    }
}

AfterAll {
    Stop-Azurite $script:Azurite
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Send-SmtpMail -RelayQueue' {
    BeforeEach {
        $queue = "relay$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        $relay = @{ RelayQueue = $queue; RelayConnectionString = $Azurite.ConnectionString; From = 'reports@contoso.test' }
    }

    It 'enqueues one Base64 JSON envelope per message and says Queued' {
        $results = 1..3 | ForEach-Object { [pscustomobject]@{ To = "user$_@contoso.test"; Subject = "Notice $_"; Body = 'Hello' } } |
            Send-SmtpMail @relay -PassThru
        $results | Should -HaveCount 3
        $results[0].GetType().FullName | Should -Be 'SmtpOps.Relay.RelayEnqueueResult'
        $results.Status | Sort-Object -Unique | Should -Be 'Queued'
        $envelopes = Get-QueuedEnvelope $queue
        $envelopes | Should -HaveCount 3
        $envelopes[0].schemaVersion | Should -Be 1
        $envelopes.messageId | Should -Be $results.MessageId
        $envelopes[2].to | Should -Be 'user3@contoso.test'
        $envelopes[0].enqueuer | Should -Match 'Send-SmtpMail'
    }

    It 'moves a large attachment to a blob (claim check)' {
        $file = Join-Path $Work 'big.bin'
        $bytes = [byte[]]::new(200KB); [Random]::new(7).NextBytes($bytes); [IO.File]::WriteAllBytes($file, $bytes)
        $result = Send-SmtpMail @relay -To 'ops@contoso.test' -Subject 'Big' -Body 'See attachment' -Attachments $file -PassThru
        $result.BlobCount | Should -Be 1
        $result.QueueMessageBytes | Should -BeLessThan 49152
        (Get-QueuedEnvelope $queue)[0].attachments[0].blob | Should -Not -BeNullOrEmpty
    }

    It 'enqueues nothing under -WhatIf' {
        Send-SmtpMail @relay -To 'ops@contoso.test' -Subject 'What if' -WhatIf
        $client = [Azure.Storage.Queues.QueueClient]::new($Azurite.ConnectionString, $queue)
        $client.Exists().Value | Should -BeFalse
    }

    It 'refuses bad input before enqueueing (InvalidMailAddress)' {
        Send-SmtpMail @relay -To 'not-an-address' -Subject 'Bad' -ErrorAction SilentlyContinue -ErrorVariable failure
        $failure[0].FullyQualifiedErrorId | Should -Be "InvalidMailAddress,$CommandType"
        [Azure.Storage.Queues.QueueClient]::new($Azurite.ConnectionString, $queue).Exists().Value | Should -BeFalse
    }

    It 'stops with RelayEnqueueFailed (AuthenticationError) within seconds when the account key is wrong' {
        $wrongKey = $Azurite.ConnectionString -replace 'AccountKey=[^;]+', "AccountKey=$([Convert]::ToBase64String([byte[]]::new(64)))"
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $err = { Send-SmtpMail -RelayQueue $queue -RelayConnectionString $wrongKey -From 'a@contoso.test' -To 'b@contoso.test' -Subject 's' -ErrorAction Stop } |
            Should -Throw -PassThru
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 15
        $err.FullyQualifiedErrorId | Should -Be "RelayEnqueueFailed,$CommandType"
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.TargetObject | Should -Be "devstoreaccount1/$queue"
        $err.ErrorDetails.Message | Should -Match "queue '$queue' of Storage account 'devstoreaccount1': the service did not accept the credentials \(403 AuthenticationFailed\)"
        $err.ErrorDetails.RecommendedAction | Should -Match '-RelayConnectionString'
    }

    It 'stops with RelayEnqueueFailed (ConnectionError) after 3 quick tries when the account cannot be reached' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $closed = $listener.LocalEndpoint.Port; $listener.Stop()
        $unreachable = $Azurite.ConnectionString -replace 'QueueEndpoint=http://127\.0\.0\.1:\d+', "QueueEndpoint=http://127.0.0.1:$closed" -replace 'BlobEndpoint=http://127\.0\.0\.1:\d+', "BlobEndpoint=http://127.0.0.1:$closed"
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $err = { Send-SmtpMail -RelayQueue $queue -RelayConnectionString $unreachable -From 'a@contoso.test' -To 'b@contoso.test' -Subject 's' -ErrorAction Stop } |
            Should -Throw -PassThru
        # The Azure SDK's default policy took about 26 s (6 tries); ours is 3 tries within about 2 s.
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 15
        $err.FullyQualifiedErrorId | Should -Be "RelayEnqueueFailed,$CommandType"
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.TargetObject | Should -Be "devstoreaccount1/$queue"
        $err.ErrorDetails.Message | Should -Match "http://127\.0\.0\.1:$closed/devstoreaccount1/$queue could not be reached \(.+\); 3 tries in \d+\.\d s\.$"
        $err.ErrorDetails.Message | Should -Not -Match 'AccountKey|Eby8vdM02'
        $err.ErrorDetails.RecommendedAction | Should -Match '-RelayConnectionString'
    }

    It 'stops with RelayEnqueueFailed (InvalidArgument) naming -RelayConnectionString when it is malformed: <Case>' -ForEach @(
        @{ Case = 'not name=value'; ConnectionString = 'not a connection string' }
        @{ Case = 'no endpoint'; ConnectionString = 'AccountName=nosuchacct;AccountKey=S3cretKeyValue' }
    ) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $err = { Send-SmtpMail -RelayQueue $queue -RelayConnectionString $ConnectionString -From 'a@contoso.test' -To 'b@contoso.test' -Subject 's' -ErrorAction Stop } |
            Should -Throw -PassThru
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        $err.FullyQualifiedErrorId | Should -Be "RelayEnqueueFailed,$CommandType"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be $queue
        $err.ErrorDetails.Message | Should -Match '^-RelayConnectionString: The Storage connection string .* is malformed'
        $err.ErrorDetails.Message | Should -Not -Match 'S3cretKeyValue'
        $err.ErrorDetails.RecommendedAction | Should -Match 'Fix -RelayConnectionString'
    }

    It 'keeps SMTP-only parameters out of the relay parameter set' {
        { Send-SmtpMail @relay -To 'a@contoso.test' -SmtpServer 'smtp.contoso.test' } | Should -Throw -ErrorId 'AmbiguousParameterSet,SmtpOps.PowerShell.Commands.SendSmtpMailCommand'
    }
}

Describe 'Send-SmtpMail with $PSDefaultParameterValues' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
        $sink = Start-SmtpSink -Directory (Join-Path $Work 'defaults-sink')
    }
    AfterAll { Stop-SmtpSink $sink }

    It 'takes server, port and sender set once, and a relay call with the same defaults still binds' {
        $PSDefaultParameterValues = @{
            'Send-SmtpMail:SmtpServer' = '127.0.0.1'
            'Send-SmtpMail:Port'       = $sink.Port
            'Send-SmtpMail:From'       = 'reports@contoso.test'
            'Send-SmtpMail:Security'   = 'None'
        }
        Send-SmtpMail -To 'ops@contoso.test' -Subject 'Scheduled report'
        Get-SinkMessageFile $sink | Should -HaveCount 1

        $queue = "defaults$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $queued = Send-SmtpMail -To 'ops@contoso.test' -Subject 'Via relay' -RelayQueue $queue -RelayConnectionString $Azurite.ConnectionString -PassThru
        $queued.Status | Should -Be 'Queued'
        (Get-QueuedEnvelope $queue)[0].from | Should -Be 'reports@contoso.test'
    }
}
