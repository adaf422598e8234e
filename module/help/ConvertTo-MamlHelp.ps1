<#
.SYNOPSIS
    Builds the module's MAML help (en-US/SmtpOps.dll-Help.xml) from module/help/<Cmdlet>.md and the cmdlets' own metadata.
.DESCRIPTION
    The one source a person edits is the markdown file per cmdlet: its prose (synopsis, description, each parameter,
    inputs, outputs, notes, examples, links). What the code already says is read from the loaded cmdlets, never written
    twice: the parameter sets (the syntax), each parameter's type, position, whether it is mandatory, what binds from the
    pipeline, its aliases and accepted values. build.ps1 runs this when it lays out the module; a cmdlet without a file,
    or a parameter without a section (or a section for a parameter that no longer exists), stops the build.

    The markdown shape (level-2 and level-3 headings, paragraphs split by blank lines, text taken literally):
      # <Cmdlet>
      ## Synopsis | ## Description            paragraphs
      ## Parameters  ### -<Name>              optional first line 'Default value: <text>', then paragraphs
      ## Inputs | ## Outputs  ### <Type name> paragraphs
      ## Notes                                paragraphs; a line '***' starts another note
      ## Examples  ### <Title>                a ```powershell fence, then paragraphs of remarks
      ## Related links                        lines '- [text](uri)'
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $SourceFolder,
    [Parameter(Mandatory)] [string] $OutFile
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Maml = 'http://schemas.microsoft.com/maml/2004/10'
$CommandNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$Dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Split-Paragraphs([string[]] $Lines) {
    $text = ($Lines -join "`n").Trim()
    if (-not $text) { return @() }
    @($text -split "\n{2,}" | ForEach-Object { $_.Trim() })
}

function Read-HelpSource([string] $Path) {
    # Sections by heading; fenced code is kept whole, so a '#' comment in an example is not a heading.
    $doc = [ordered]@{ Name = $null; Sections = [ordered]@{} }
    $section = $null; $item = $null; $fence = $false
    foreach ($line in [IO.File]::ReadAllLines($Path)) {
        if ($line -match '^```') { $fence = -not $fence }
        if (-not $fence -and $line -match '^# (\S+)\s*$') { $doc.Name = $Matches[1]; continue }
        if (-not $fence -and $line -match '^## (.+?)\s*$') {
            $section = [ordered]@{ Lines = [Collections.Generic.List[string]]::new(); Items = [Collections.Generic.List[object]]::new() }
            $doc.Sections[$Matches[1]] = $section; $item = $null; continue
        }
        if (-not $fence -and $line -match '^### (.+?)\s*$') {
            $item = [pscustomobject]@{ Title = $Matches[1]; Lines = [Collections.Generic.List[string]]::new() }
            $section.Items.Add($item); continue
        }
        if ($null -eq $section) { continue }
        if ($item) { $item.Lines.Add($line) } else { $section.Lines.Add($line) }
    }
    if (-not $doc.Name) { throw "${Path}: no '# <Cmdlet>' heading." }
    $doc
}

function Get-Section($Doc, [string] $Name) {
    if ($Doc.Sections.Contains($Name)) { $Doc.Sections[$Name] } else { [ordered]@{ Lines = @(); Items = @() } }
}

function Write-Paragraphs([Xml.XmlWriter] $Writer, [string[]] $Paragraphs) {
    foreach ($p in $Paragraphs) { $Writer.WriteElementString('maml', 'para', $Maml, $p) }
}

function Write-Description([Xml.XmlWriter] $Writer, [string[]] $Paragraphs) {
    $Writer.WriteStartElement('maml', 'description', $Maml)
    Write-Paragraphs $Writer $Paragraphs
    $Writer.WriteEndElement()
}

function Get-AcceptedValues([Management.Automation.ParameterMetadata] $Parameter) {
    $set = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($set) { return @($set.ValidValues) }
    $type = $Parameter.ParameterType
    if ($type.IsArray) { $type = $type.GetElementType() }
    if ($type.IsEnum) { return @([Enum]::GetNames($type)) }
    @()
}

function Write-Parameter([Xml.XmlWriter] $Writer, [Management.Automation.ParameterMetadata] $Parameter, $Doc, [string] $SetName) {
    # One parameter, in a syntax item (for its set) or in the parameters list (all its sets).
    $sets = @($Parameter.ParameterSets.GetEnumerator() | Where-Object { -not $SetName -or $_.Key -eq $SetName -or $_.Key -eq '__AllParameterSets' } | ForEach-Object Value)
    $position = @($sets | Where-Object { $_.Position -ge 0 } | ForEach-Object Position | Select-Object -First 1)
    $byValue = @($sets | Where-Object ValueFromPipeline).Count -gt 0
    $byName = @($sets | Where-Object ValueFromPipelineByPropertyName).Count -gt 0
    $pipeline = switch ($true) {
        ($byValue -and $byName) { 'True (ByValue, ByPropertyName)'; break }
        $byValue { 'True (ByValue)'; break }
        $byName { 'True (ByPropertyName)'; break }
        default { 'False' }
    }
    $switch = $Parameter.SwitchParameter
    $type = $Parameter.ParameterType
    if ([Nullable]::GetUnderlyingType($type)) { $type = [Nullable]::GetUnderlyingType($type) }
    $typeName = $type.Name
    $Writer.WriteStartElement('command', 'parameter', $CommandNs)
    $Writer.WriteAttributeString('required', $(if (@($sets | Where-Object IsMandatory).Count -gt 0) { 'true' } else { 'false' }))
    $Writer.WriteAttributeString('variableLength', $(if ($Parameter.ParameterType.IsArray) { 'true' } else { 'false' }))
    $Writer.WriteAttributeString('globbing', 'false')
    $Writer.WriteAttributeString('pipelineInput', $pipeline)
    $Writer.WriteAttributeString('position', $(if ($position.Count) { "$($position[0])" } else { 'named' }))
    $Writer.WriteAttributeString('aliases', $(if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    $Writer.WriteElementString('maml', 'name', $Maml, $Parameter.Name)
    Write-Description $Writer $Doc.Parameters[$Parameter.Name].Paragraphs
    $values = @(Get-AcceptedValues $Parameter)
    if ($values.Count) {
        $Writer.WriteStartElement('command', 'parameterValueGroup', $CommandNs)
        foreach ($value in $values) {
            $Writer.WriteStartElement('command', 'parameterValue', $CommandNs)
            $Writer.WriteAttributeString('required', 'false')
            $Writer.WriteAttributeString('command', 'variableLength', $CommandNs, 'false')
            $Writer.WriteString($value)
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }
    if (-not $switch) {
        $Writer.WriteStartElement('command', 'parameterValue', $CommandNs)
        $Writer.WriteAttributeString('required', 'true')
        $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString($typeName)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $Dev)
    $Writer.WriteElementString('maml', 'name', $Maml, $typeName)
    $Writer.WriteElementString('maml', 'uri', $Maml, '')
    $Writer.WriteEndElement()
    $default = $Doc.Parameters[$Parameter.Name].Default
    $Writer.WriteElementString('dev', 'defaultValue', $Dev, $(if ($default) { $default } elseif ($switch) { 'False' } else { 'None' }))
    $Writer.WriteEndElement()
}

function Write-TypedItems([Xml.XmlWriter] $Writer, [string] $List, [string] $Element, $Items) {
    $Writer.WriteStartElement('command', $List, $CommandNs)
    foreach ($item in $Items) {
        $Writer.WriteStartElement('command', $Element, $CommandNs)
        $Writer.WriteStartElement('dev', 'type', $Dev)
        $Writer.WriteElementString('maml', 'name', $Maml, $item.Title)
        $Writer.WriteEndElement()
        Write-Description $Writer (Split-Paragraphs $item.Lines)
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()
}

function ConvertTo-CommandDoc($Source, [Management.Automation.CmdletInfo] $Command, [string[]] $Documented) {
    # The prose of one cmdlet, checked against its parameters both ways.
    $parameters = [ordered]@{}
    foreach ($item in (Get-Section $Source 'Parameters').Items) {
        if ($item.Title -notmatch '^-(\w+)$') { throw "$($Command.Name): parameter heading '$($item.Title)' is not '### -<Name>'." }
        $name = $Matches[1]
        $lines = @($item.Lines | Where-Object { $_ -ne $null })
        $default = $null
        $first = @($lines | Where-Object { $_.Trim() }) | Select-Object -First 1
        if ($first -match '^Default value: (.+)$') { $default = $Matches[1]; $lines = @($lines | Where-Object { $_ -ne $first }) }
        $parameters[$name] = [pscustomobject]@{ Default = $default; Paragraphs = Split-Paragraphs $lines }
    }
    $missing = @($Documented | Where-Object { -not $parameters.Contains($_) })
    if ($missing) { throw "$($Command.Name): no help for -$($missing -join ', -') in $($Command.Name).md." }
    $stale = @($parameters.Keys | Where-Object { $_ -notin $Documented })
    if ($stale) { throw "$($Command.Name): $($Command.Name).md documents -$($stale -join ', -'), which the cmdlet does not have." }
    [pscustomobject]@{ Source = $Source; Parameters = $parameters }
}

function Write-Command([Xml.XmlWriter] $Writer, [Management.Automation.CmdletInfo] $Command, $Source) {
    $common = [Management.Automation.Cmdlet]::CommonParameters
    $documented = @($Command.Parameters.Keys | Where-Object { $_ -notin $common })
    $doc = ConvertTo-CommandDoc $Source $Command $documented
    $Writer.WriteStartElement('command', 'command', $CommandNs)
    $Writer.WriteAttributeString('xmlns', 'maml', [NullString]::Value, $Maml)
    $Writer.WriteAttributeString('xmlns', 'dev', [NullString]::Value, $Dev)
    $Writer.WriteStartElement('command', 'details', $CommandNs)
    $Writer.WriteElementString('command', 'name', $CommandNs, $Command.Name)
    $Writer.WriteElementString('command', 'verb', $CommandNs, $Command.Verb)
    $Writer.WriteElementString('command', 'noun', $CommandNs, $Command.Noun)
    Write-Description $Writer (Split-Paragraphs (Get-Section $Source 'Synopsis').Lines)
    $Writer.WriteEndElement()
    Write-Description $Writer (Split-Paragraphs (Get-Section $Source 'Description').Lines)

    $Writer.WriteStartElement('command', 'syntax', $CommandNs)
    foreach ($set in $Command.ParameterSets) {
        $Writer.WriteStartElement('command', 'syntaxItem', $CommandNs)
        $Writer.WriteElementString('maml', 'name', $Maml, $Command.Name)
        # Positional parameters first, by position; the others as the cmdlet declares them.
        $inSet = @($set.Parameters | Where-Object { $_.Name -notin $common })
        $ordered = @($inSet | Where-Object { $_.Position -ge 0 } | Sort-Object Position) + @($inSet | Where-Object { $_.Position -lt 0 })
        foreach ($p in $ordered) { Write-Parameter $Writer $Command.Parameters[$p.Name] $doc $set.Name }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'parameters', $CommandNs)
    foreach ($name in $doc.Parameters.Keys) { Write-Parameter $Writer $Command.Parameters[$name] $doc $null }
    $Writer.WriteEndElement()

    Write-TypedItems $Writer 'inputTypes' 'inputType' (Get-Section $Source 'Inputs').Items
    Write-TypedItems $Writer 'returnValues' 'returnValue' (Get-Section $Source 'Outputs').Items

    $Writer.WriteStartElement('maml', 'alertSet', $Maml)
    $notes = ((Get-Section $Source 'Notes').Lines -join "`n") -split '(?m)^\*\*\*\s*$'
    foreach ($note in $notes) {
        $Writer.WriteStartElement('maml', 'alert', $Maml)
        Write-Paragraphs $Writer (Split-Paragraphs ($note -split "`n"))
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'examples', $CommandNs)
    foreach ($example in (Get-Section $Source 'Examples').Items) {
        $text = $example.Lines -join "`n"
        if ($text -notmatch '(?s)^\s*```powershell\n(.*?)\n```\s*(.*)$') { throw "$($Command.Name): example '$($example.Title)' has no ```powershell fence first." }
        $code = $Matches[1]; $remarks = $Matches[2]
        $Writer.WriteStartElement('command', 'example', $CommandNs)
        $Writer.WriteElementString('maml', 'title', $Maml, "-------------------------- $($example.Title) --------------------------")
        $Writer.WriteElementString('dev', 'code', $Dev, $code)
        $Writer.WriteStartElement('dev', 'remarks', $Dev)
        # The empty paragraph is help's own spacing after an example.
        Write-Paragraphs $Writer (@(Split-Paragraphs ($remarks -split "`n")) + '')
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'relatedLinks', $CommandNs)
    foreach ($line in (Get-Section $Source 'Related links').Lines) {
        if ($line -notmatch '^- \[(.+)\]\((.*)\)\s*$') { continue }
        $Writer.WriteStartElement('maml', 'navigationLink', $Maml)
        $Writer.WriteElementString('maml', 'linkText', $Maml, $Matches[1])
        $Writer.WriteElementString('maml', 'uri', $Maml, $Matches[2])
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()
    $Writer.WriteEndElement()
}

$module = Import-Module $ModuleManifest -PassThru -Force
$commands = @(Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)
$sources = @{}
foreach ($file in Get-ChildItem $SourceFolder -Filter '*.md') {
    $source = Read-HelpSource $file.FullName
    $sources[$source.Name] = $source
}
$undocumented = @($commands | Where-Object { -not $sources.ContainsKey($_.Name) } | ForEach-Object Name)
if ($undocumented) { throw "No help source in ${SourceFolder} for: $($undocumented -join ', ')." }

New-Item -ItemType Directory -Force -Path (Split-Path $OutFile) | Out-Null
$settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
$writer = [Xml.XmlWriter]::Create($OutFile, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($command in $commands) { Write-Command $writer $command $sources[$command.Name] }
    $writer.WriteEndElement()
}
finally {
    $writer.Dispose()
}
Write-Host "Help: $($commands.Count) cmdlets from $SourceFolder -> $OutFile"
