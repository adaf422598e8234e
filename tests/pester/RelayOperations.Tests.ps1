#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The relay operations cmdlets (issue #13) against the packaged module, Azurite, the relay's local host (the
# WebJobs SDK: the Functions queue trigger's engine) and the test SMTP sink, all on 127.0.0.1.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/Azurite.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/RelayHost.psm1') -Force
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-relayops-$([guid]::NewGuid().ToString('N'))"
    $script:Azurite = Start-Azurite -Directory (Join-Path $Work 'azurite')
    $script:Cs = $Azurite.ConnectionString
    # The relay host of the same build as the test servers (bin/<Configuration>/net10.0).
    $configuration = Split-Path (Split-Path (Split-Path $env:SMTPOPS_TESTSERVER))  -Leaf
    $script:HostPath = Join-Path $PSScriptRoot "../../functions/SmtpOps.Relay.LocalHost/bin/$configuration/net10.0/SmtpOps.Relay.LocalHost.dll"
    $moduleBase = (Get-Module SmtpOps).ModuleBase
    # The test's own copies, to look at Storage and at what arrived the way an operator's tools would.
    Add-Type -Path (Join-Path $moduleBase 'Dependencies/Azure.Storage.Queues.dll')
    Add-Type -Path (Join-Path $moduleBase 'Dependencies/Azure.Storage.Blobs.dll')
    Add-Type -Path (Join-Path $moduleBase 'Dependencies/MimeKit.dll')
    $script:User = 'relay'
    $script:Password = [guid]::NewGuid().ToString('N')

    function Wait-Until([scriptblock] $Condition, [int] $Seconds = 90, [string] $Because) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Not within $Seconds s: $Because" }
            Start-Sleep -Milliseconds 250
        }
    }

    function Start-Relay($Sink, [string] $Queue, [string] $Name) {
        # Two deliveries, one second apart: the host gives up (or poisons) quickly.
        Start-RelayHost -HostPath $HostPath -Azurite $Azurite -Sink $Sink -User $User -Password $Password -QueueName $Queue `
            -Directory (Join-Path $Work $Name) -Settings @{ Relay__MaxAttempts = '2'; Relay__RetryDelay = '1'; Queues__VisibilityTimeout = '00:00:01' }
    }

    function Stop-Relay($Process) {
        if (-not $Process.HasExited) { $Process.Kill(); $Process.WaitForExit(10000) | Out-Null }
    }

    function Get-Blob([string] $Queue) {
        $container = [Azure.Storage.Blobs.BlobContainerClient]::new($Cs, "$Queue-attachments")
        if (-not $container.Exists().Value) { return @() }
        @($container.GetBlobs() | ForEach-Object Name)
    }

    function Get-AttachmentBytes($File) {
        $message = [MimeKit.MimeMessage]::Load($File.FullName)
        try {
            $stream = [IO.MemoryStream]::new()
            @($message.Attachments)[0].Content.DecodeTo($stream)
            , $stream.ToArray()
        }
        finally { $message.Dispose() }
    }
}

AfterAll {
    Stop-Azurite $Azurite
    Remove-Item -Recurse -Force $Work -ErrorAction Ignore
}

Describe 'A relay run with a 550, a policy refusal and a poison message' {
    BeforeAll {
        $queue = "ops$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        $relay = @{ RelayQueue = $queue; RelayConnectionString = $Cs }
        $inspect = @{ RelayConnectionString = $Cs }
        $refusing = Start-SmtpSink -Directory (Join-Path $Work 'refusing') -StartTls -User "${User}:$Password" -Reject 'refused@fabrikam.example'
        $attachment = Join-Path $Work 'export.bin'
        $bytes = [byte[]]::new(300KB); [Random]::new(13).NextBytes($bytes); [IO.File]::WriteAllBytes($attachment, $bytes)

        $refused = Send-SmtpMail @relay -From 'reports@contoso.example' -To 'refused@fabrikam.example' -Subject 'Nightly export' -Body 'Attached.' -Attachments $attachment -PassThru
        $notAllowed = Send-SmtpMail @relay -From 'someone@fabrikam.example' -To 'ops@fabrikam.example' -Subject 'Not from us' -Body 'x' -PassThru
        $delivered = Send-SmtpMail @relay -From 'reports@contoso.example' -To 'ops@fabrikam.example' -Subject 'Daily report' -Body 'ok' -IdempotencyKey 'daily-report-2026-12-01' -PassThru
        # Text the Functions host cannot decode (it expects Base64): the platform's poison queue, no reason.
        [Azure.Storage.Queues.QueueClient]::new($Cs, $queue).SendMessage('this is not base64 {') | Out-Null

        $relayHost = Start-Relay $refusing $queue 'relay-1'
        try {
            Wait-Until -Because 'the relay dead-letters 2, poisons 1, sends 1' {
                $status = Get-SmtpRelayQueue $queue @inspect
                $status.DeadLettered -eq 2 -and $status.Poison -eq 1 -and $status.Waiting -eq 0 -and (Get-SinkMessageFile $refusing).Count -eq 1
            }
        }
        finally { Stop-Relay $relayHost }
    }
    AfterAll { Stop-SmtpSink $refusing }

    It 'shows the counts in one status object, with the 550 message''s blob kept' {
        $status = Get-SmtpRelayQueue $queue @inspect
        $status | Should -HaveCount 1
        $status.GetType().FullName | Should -Be 'SmtpOps.Relay.RelayQueueStatus'
        $status.Queue | Should -Be $queue
        $status.Account | Should -Be 'devstoreaccount1'
        $status.Waiting | Should -Be 0
        $status.DeadLettered | Should -Be 2
        $status.Poison | Should -Be 1
        $status.Blobs | Should -Be 1 -Because 'a dead-lettered message keeps its claim-check blob'
        $status.BlobBytes | Should -Be 300KB
        ($status | Format-Table | Out-String) | Should -Match 'DeadLettered'
    }

    It 'reads the failures as typed objects with their reasons' {
        $failures = Get-SmtpRelayFailure $queue @inspect
        $failures | Should -HaveCount 3
        $failures[0].GetType().FullName | Should -Be 'SmtpOps.Relay.RelayFailure'
        $smtp = $failures | Where-Object Kind -eq 'Smtp'
        $smtp.StatusCode | Should -Be 550
        $smtp.Reason | Should -Match 'refused@fabrikam\.example'
        $smtp.MessageId | Should -Be $refused.MessageId
        $smtp.IdempotencyKey | Should -Be $refused.IdempotencyKey
        $smtp.From | Should -Be 'reports@contoso.example'
        $smtp.Subject | Should -Be 'Nightly export'
        $smtp.Enqueuer | Should -Match 'Send-SmtpMail'
        $smtp.Attempts | Should -Be 1
        $smtp.Blobs | Should -Be (Get-Blob $queue)
        $policy = $failures | Where-Object Kind -eq 'Policy'
        $policy.Reason | Should -Match 'someone@fabrikam\.example'
        $policy.MessageId | Should -Be $notAllowed.MessageId
        $poison = $failures | Where-Object Kind -eq 'Poison'
        $poison.Reason | Should -Match 'not Base64'
        $poison.MessageId | Should -BeNullOrEmpty
        $poison.NeverExpires | Should -BeFalse
        ($failures | Format-Table | Out-String) | Should -Match 'Nightly export'
    }

    It 'filters by kind, time and Message-ID' {
        (Get-SmtpRelayFailure $queue @inspect -Kind Smtp, Policy) | Should -HaveCount 2
        # -Kind offers exactly the kinds the relay and the inspector write (one list in Core), Graph included.
        $kinds = [SmtpOps.Relay.RelayFailure].Assembly.GetType('SmtpOps.Relay.RelayFailureKind')::All
        $offered = (Get-Command Get-SmtpRelayFailure).Parameters['Kind'].Attributes.Where({ $_ -is [System.Management.Automation.ValidateSetAttribute] }).ValidValues
        $offered | Should -Be $kinds
        $offered | Should -Contain 'Graph'
        # Bound and passed on (it was refused by the ValidateSet before): this run has no Graph record.
        Get-SmtpRelayFailure $queue @inspect -Kind Graph -ErrorAction Stop | Should -BeNullOrEmpty
        (Get-SmtpRelayFailure $queue @inspect -Kind Poison).Kind | Should -Be 'Poison'
        (Get-SmtpRelayFailure $queue @inspect -MessageId "<$($refused.MessageId)>").Kind | Should -Be 'Smtp'
        Get-SmtpRelayFailure $queue @inspect -After (Get-Date).AddMinutes(5) | Should -BeNullOrEmpty
        Get-SmtpRelayFailure $queue @inspect -Before (Get-Date).AddMinutes(-30) | Should -BeNullOrEmpty
    }

    It 'keeps the dead-letter records for good: a peek 8 days later would still find them (expiry "never")' {
        $records = [Azure.Storage.Queues.QueueClient]::new($Cs, "$queue-failed").PeekMessages(32).Value
        $records | Should -HaveCount 2
        foreach ($record in $records) {
            # Storage reports "never" as the largest date it has (9999-12-31); the default would be 7 days.
            $record.ExpiresOn.Year | Should -Be 9999
            $record.ExpiresOn | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddDays(8))
        }
        (Get-SmtpRelayFailure $queue @inspect -Kind Smtp, Policy).NeverExpires | Should -Be @($true, $true)
    }

    It 'finds each message where it is: sent (with the smarthost''s answer), dead-lettered, a duplicate, unknown' {
        # The enqueue result binds its Queue and IdempotencyKey (the ledger knows sent messages by key).
        $sent = $delivered | Find-SmtpRelayMessage @inspect
        $sent.State | Should -Be 'Sent'
        $sent.IdempotencyKey | Should -Be 'daily-report-2026-12-01'
        $sent.Detail | Should -Not -BeNullOrEmpty
        $sent.At | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddMinutes(-10))
        (Find-SmtpRelayMessage -IdempotencyKey 'daily-report-2026-12-01' @inspect -RelayQueue $queue).State | Should -Be 'Sent'

        $dead = $refused | Find-SmtpRelayMessage @inspect
        $dead.State | Should -Be 'DeadLettered'
        $dead.Detail | Should -Match '550|refused@fabrikam'
        $dead.Failure.Kind | Should -Be 'Smtp'

        # The same idempotency key enqueued again: the ledger says sent, so the relay will drop it.
        $again = Send-SmtpMail @relay -From 'reports@contoso.example' -To 'ops@fabrikam.example' -Subject 'Daily report' -Body 'ok' -IdempotencyKey 'daily-report-2026-12-01' -PassThru
        $both = Find-SmtpRelayMessage 'daily-report-2026-12-01' @inspect -RelayQueue $queue
        $both.State | ForEach-Object ToString | Sort-Object | Should -Be @('Duplicate', 'Sent')
        ($both | Where-Object State -eq 'Duplicate').QueueMessageId | Should -Be $again.QueueMessageId
        ($both | Format-Table | Out-String) | Should -Match 'Duplicate'

        $unknown = Find-SmtpRelayMessage '<nobody-knows@contoso.example>' @inspect -RelayQueue $queue
        $unknown.State | Should -Be 'Unknown'
        $unknown.Detail | Should -Match 'invisible'
    }

    It 're-sends the 550 once the server stops refusing: delivered exactly once, its 300 KB attachment byte-identical' {
        $accepting = Start-SmtpSink -Directory (Join-Path $Work 'accepting') -StartTls -User "${User}:$Password"
        try {
            $queued = Get-SmtpRelayFailure $queue @inspect -Kind Smtp | Resume-SmtpRelayFailure @inspect -Confirm:$false
            $queued.GetType().FullName | Should -Be 'SmtpOps.Relay.RelayEnqueueResult'
            $queued.MessageId | Should -Be $refused.MessageId
            $queued.BlobCount | Should -Be 1
            Get-SmtpRelayFailure $queue @inspect -Kind Smtp | Should -BeNullOrEmpty

            $relayHost = Start-Relay $accepting $queue 'relay-2'
            try {
                Wait-Until -Because 'the re-sent message is delivered and the duplicate dropped' {
                    (Get-SinkMessageFile $accepting).Count -ge 1 -and (Get-SmtpRelayQueue $queue @inspect).Waiting -eq 0
                }
                Start-Sleep -Seconds 3   # a second delivery would show up here
            }
            finally { Stop-Relay $relayHost }

            $files = Get-SinkMessageFile $accepting
            $files | Should -HaveCount 1 -Because 'the re-sent message arrives once and the duplicate key is not sent again'
            $message = [MimeKit.MimeMessage]::Load($files[0].FullName)
            try { $message.MessageId | Should -Be $refused.MessageId } finally { $message.Dispose() }
            $received = Get-AttachmentBytes $files[0]
            [Linq.Enumerable]::SequenceEqual([byte[]]$received, [IO.File]::ReadAllBytes($attachment)) | Should -BeTrue
            Get-Blob $queue | Should -BeNullOrEmpty -Because 'a sent message loses its blobs'
            (Find-SmtpRelayMessage $refused.MessageId @inspect -RelayQueue $queue).State | Should -Be 'Sent'
        }
        finally { Stop-SmtpSink $accepting }
    }

    It 'changes nothing under -WhatIf' {
        Get-SmtpRelayFailure $queue @inspect | Remove-SmtpRelayFailure @inspect -WhatIf
        Get-SmtpRelayFailure $queue @inspect | Resume-SmtpRelayFailure @inspect -WhatIf
        (Get-SmtpRelayFailure $queue @inspect).Kind | Sort-Object | Should -Be @('Poison', 'Policy')
    }

    It 'removes what it is asked to remove and nothing else, and says when a record is gone already' {
        $policy = Get-SmtpRelayFailure $queue @inspect -Kind Policy
        $removed = $policy | Remove-SmtpRelayFailure @inspect -Confirm:$false -PassThru
        $removed.RecordId | Should -Be $policy.RecordId
        (Get-SmtpRelayFailure $queue @inspect).Kind | Should -Be 'Poison'

        $policy | Remove-SmtpRelayFailure @inspect -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable gone
        $gone | Should -HaveCount 1
        $gone[0].FullyQualifiedErrorId | Should -Be 'RelayFailureNotFound,SmtpOps.PowerShell.Commands.RemoveSmtpRelayFailureCommand'
        $gone[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $gone[0].TargetObject.RecordId | Should -Be $policy.RecordId
        $policy | Resume-SmtpRelayFailure @inspect -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable goneToo
        $goneToo[0].FullyQualifiedErrorId | Should -Be 'RelayFailureNotFound,SmtpOps.PowerShell.Commands.ResumeSmtpRelayFailureCommand'

        $poison = Get-SmtpRelayFailure $queue @inspect -Kind Poison
        $poison | Resume-SmtpRelayFailure @inspect -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable unsendable
        $unsendable[0].FullyQualifiedErrorId | Should -Be 'RelayFailureNotResendable,SmtpOps.PowerShell.Commands.ResumeSmtpRelayFailureCommand'
        $unsendable[0].CategoryInfo.Category | Should -Be 'InvalidData'
        Get-SmtpRelayFailure $queue @inspect -Kind Poison | Should -HaveCount 1 -Because 'a refused re-send deletes nothing'
        $poison | Remove-SmtpRelayFailure @inspect -Confirm:$false

        $status = Get-SmtpRelayQueue $queue @inspect
        ($status.DeadLettered, $status.Poison, $status.Blobs) | Should -Be @(0, 0, 0)
        Get-Blob $queue | Should -BeNullOrEmpty
    }
}

Describe 'Removing a dead-lettered message with attachments' {
    It 'deletes its record and its blobs, and leaves the blobs of another failure alone' {
        $queue = "rm$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        $relay = @{ RelayQueue = $queue; RelayConnectionString = $Cs }
        $sink = Start-SmtpSink -Directory (Join-Path $Work 'rm-sink') -StartTls -User "${User}:$Password" -Reject 'refused@fabrikam.example'
        try {
            $file = Join-Path $Work 'rm.bin'; [IO.File]::WriteAllBytes($file, [byte[]]::new(100KB))
            $one = Send-SmtpMail @relay -From 'reports@contoso.example' -To 'refused@fabrikam.example' -Subject 'One' -Attachments $file -PassThru
            $two = Send-SmtpMail @relay -From 'reports@contoso.example' -To 'refused@fabrikam.example' -Subject 'Two' -Attachments $file -PassThru
            $relayHost = Start-Relay $sink $queue 'relay-rm'
            try { Wait-Until -Because 'both are dead-lettered' { (Get-SmtpRelayQueue $queue -RelayConnectionString $Cs).DeadLettered -eq 2 } }
            finally { Stop-Relay $relayHost }
        }
        finally { Stop-SmtpSink $sink }

        Get-Blob $queue | Should -HaveCount 2
        Get-SmtpRelayFailure $queue -RelayConnectionString $Cs -MessageId $one.MessageId | Remove-SmtpRelayFailure -RelayConnectionString $Cs -Confirm:$false
        (Get-SmtpRelayFailure $queue -RelayConnectionString $Cs).MessageId | Should -Be $two.MessageId
        Get-Blob $queue | Should -HaveCount 1
        Get-Blob $queue | Should -Match "^$($two.EnvelopeId)/"
    }
}

Describe 'Find-SmtpRelayMessage on a queue no relay reads yet' {
    It 'says Waiting for a new message and Retrying (attempt n) after a failed delivery' {
        $queue = "find$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        $queued = Send-SmtpMail -RelayQueue $queue -RelayConnectionString $Cs -From 'reports@contoso.example' -To 'ops@fabrikam.example' -Subject 'Later' -PassThru
        $waiting = $queued | Find-SmtpRelayMessage -RelayConnectionString $Cs
        $waiting.State | Should -Be 'Waiting'
        $waiting.Attempt | Should -Be 0

        # A delivery that failed: received for one second and not deleted, as the host does on a transient failure.
        [Azure.Storage.Queues.QueueClient]::new($Cs, $queue).ReceiveMessage([TimeSpan]::FromSeconds(1)) | Out-Null
        Start-Sleep -Seconds 2
        $retrying = $queued | Find-SmtpRelayMessage -RelayConnectionString $Cs
        $retrying.State | Should -Be 'Retrying'
        $retrying.Attempt | Should -Be 1
        $status = Get-SmtpRelayQueue $queue -RelayConnectionString $Cs
        $status.Waiting | Should -Be 1
        $status.OldestAge | Should -BeGreaterThan ([TimeSpan]::Zero)
    }
}

Describe 'Completion of -RelayQueue' {
    It 'offers the account''s relay queues, not their -failed and -poison queues, once -RelayConnectionString is given' {
        $queue = "compl$([guid]::NewGuid().ToString('N').Substring(0, 10))"
        foreach ($name in $queue, "$queue-failed", "$queue-poison") { [Azure.Storage.Queues.QueueClient]::new($Cs, $name).Create() | Out-Null }
        foreach ($command in 'Get-SmtpRelayQueue', 'Get-SmtpRelayFailure', 'Find-SmtpRelayMessage') {
            $line = "$command -RelayConnectionString '$Cs' -RelayQueue $($queue.Substring(0, 8))"
            $offered = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
            $offered | Should -Contain $queue
            $offered | Should -Not -Contain "$queue-failed"
            $offered | Should -Not -Contain "$queue-poison"
        }
        $line = 'Get-SmtpRelayQueue -RelayQueue compl'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Should -BeNullOrEmpty
    }
}

Describe 'Bad input' {
    BeforeAll {
        $queue = "bad$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        $existing = Send-SmtpMail -RelayQueue $queue -RelayConnectionString $Cs -From 'reports@contoso.example' -To 'ops@fabrikam.example' -Subject 'Stays' -PassThru
        $wrongKey = $Cs -replace 'AccountKey=[^;]+', "AccountKey=$([Convert]::ToBase64String([byte[]]::new(64)))"
        $missing = "nosuch$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    }

    It '<Name>: an unknown queue is RelayQueueNotFound (ObjectNotFound, target the queue)' -ForEach @(
        @{ Name = 'Get-SmtpRelayQueue'; Type = 'GetSmtpRelayQueueCommand'; Call = { param($q, $c) Get-SmtpRelayQueue $q -RelayConnectionString $c } }
        @{ Name = 'Get-SmtpRelayFailure'; Type = 'GetSmtpRelayFailureCommand'; Call = { param($q, $c) Get-SmtpRelayFailure $q -RelayConnectionString $c } }
        @{ Name = 'Find-SmtpRelayMessage'; Type = 'FindSmtpRelayMessageCommand'; Call = { param($q, $c) Find-SmtpRelayMessage 'x@y' -RelayQueue $q -RelayConnectionString $c } }
    ) {
        # Non-terminating, also where the caller's preference is Stop (the suite runner's): look at the stream.
        $ErrorActionPreference = 'Continue'
        $output = & $Call $missing $Cs 2>&1
        $failure = @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $failure | Should -HaveCount 1
        @($output).Count | Should -Be 1 -Because 'nothing but the error is written'
        $failure[0].FullyQualifiedErrorId | Should -Be "RelayQueueNotFound,SmtpOps.PowerShell.Commands.$Type"
        $failure[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failure[0].TargetObject | Should -Be $missing
        [Azure.Storage.Queues.QueueClient]::new($Cs, $missing).Exists().Value | Should -BeFalse -Because 'reading creates nothing'
    }

    It '<Name>: a wrong account key is RelayStorageFailed (AuthenticationError, target account/queue)' -ForEach @(
        @{ Name = 'Get-SmtpRelayQueue'; Type = 'GetSmtpRelayQueueCommand'; Call = { param($q, $c) Get-SmtpRelayQueue $q -RelayConnectionString $c } }
        @{ Name = 'Get-SmtpRelayFailure'; Type = 'GetSmtpRelayFailureCommand'; Call = { param($q, $c) Get-SmtpRelayFailure $q -RelayConnectionString $c } }
        @{ Name = 'Find-SmtpRelayMessage'; Type = 'FindSmtpRelayMessageCommand'; Call = { param($q, $c) Find-SmtpRelayMessage 'x@y' -RelayQueue $q -RelayConnectionString $c } }
    ) {
        $err = { & $Call $queue $wrongKey -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "RelayStorageFailed,SmtpOps.PowerShell.Commands.$Type"
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.TargetObject | Should -Be "devstoreaccount1/$queue"
        $err.ErrorDetails.Message | Should -Not -Match 'AccountKey'
    }

    It 'a malformed connection string is RelayStorageFailed (InvalidArgument) naming -RelayConnectionString' {
        $err = { Get-SmtpRelayQueue $queue -RelayConnectionString 'not a connection string' -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'RelayStorageFailed,SmtpOps.PowerShell.Commands.GetSmtpRelayQueueCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.ErrorDetails.Message | Should -Match '^-RelayConnectionString: '
    }

    It 'Remove- and Resume- with a wrong key stop with RelayStorageFailed and delete nothing' {
        (Find-SmtpRelayMessage $existing.MessageId -RelayQueue $queue -RelayConnectionString $Cs).State | Should -Be 'Waiting'
        $failure = [SmtpOps.Relay.RelayFailure]@{ Queue = $queue; Kind = 'Smtp'; RecordQueue = "$queue-failed"; RecordId = 'no-such-record' }
        $err = { $failure | Remove-SmtpRelayFailure -RelayConnectionString $wrongKey -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'RelayStorageFailed,SmtpOps.PowerShell.Commands.RemoveSmtpRelayFailureCommand'
        $err = { $failure | Resume-SmtpRelayFailure -RelayConnectionString $wrongKey -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'RelayStorageFailed,SmtpOps.PowerShell.Commands.ResumeSmtpRelayFailureCommand'
        $failure | Remove-SmtpRelayFailure -RelayConnectionString $Cs -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable gone
        $gone[0].FullyQualifiedErrorId | Should -Be 'RelayFailureNotFound,SmtpOps.PowerShell.Commands.RemoveSmtpRelayFailureCommand'
        (Get-SmtpRelayQueue $queue -RelayConnectionString $Cs).Waiting | Should -Be 1
    }
}
