# Shared by every Lifeboat script. Parameters arrive as base64-encoded UTF-8 JSON (data, never code: a VM
# name like "x'; Remove-VM *; '" stays a string). Each script prints exactly one JSON envelope on stdout:
#   {"ok":true,"data":...}   or   {"ok":false,"error":{"kind":...,"message":...,"exceptionType":...,"errorId":...,"category":...}}
# Objects are projected to flat values first (.ToString(), .ToString('o')) because Windows PowerShell 5.1's
# ConvertTo-Json writes enums as numbers, dates as \/Date(ms)\/ and stops at depth 2.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try { [Console]::OutputEncoding = [System.Text.Encoding]::UTF8 } catch { }

function Read-LifeboatParameters([string]$Encoded) {
    $json = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($Encoded))
    return ConvertFrom-Json -InputObject $json
}

# Passwords never travel in the command text (script block logging, transcripts and the caller's history keep
# it): Lifeboat starts this PowerShell process with them in its own environment variable LIFEBOAT_PS_SECRETS
# (base64-encoded UTF-8 JSON: password = the remote host's account, guestPassword = the guest account), set
# for this process only. An empty object when there are none.
function Read-LifeboatSecrets {
    $encoded = [Environment]::GetEnvironmentVariable('LIFEBOAT_PS_SECRETS')
    if (-not $encoded) { return New-Object PSObject }
    return Read-LifeboatParameters $encoded
}

function Write-LifeboatEnvelope($Envelope) {
    Write-Output (ConvertTo-Json -InputObject $Envelope -Depth 8 -Compress)
}

function Write-LifeboatError($Record, [string]$Kind) {
    $exception = $Record.Exception
    $target = $null
    if ($null -ne $Record.TargetObject) { $target = [string]$Record.TargetObject }
    Write-LifeboatEnvelope ([ordered]@{
        ok    = $false
        error = [ordered]@{
            kind          = $Kind
            message       = [string]$exception.Message
            exceptionType = $exception.GetType().FullName
            errorId       = [string]$Record.FullyQualifiedErrorId
            category      = $Record.CategoryInfo.Category.ToString()
            target        = $target
        }
    })
}

# Runs $Body with the parameters, here or on $p.computerName (WinRM, with $p.username and the secret password
# when given), and prints the envelope. $Kind tells the engine what failed ("checkpoint", "inventory", ...).
# A guest password joins the parameters here, as data for $Body wherever it runs (over WinRM: inside the
# encrypted session's arguments, never in command text).
function Invoke-LifeboatScript([string]$Encoded, [string]$Kind, [scriptblock]$Body) {
    try {
        $p = Read-LifeboatParameters $Encoded
        $secrets = Read-LifeboatSecrets
        if ($null -ne $secrets.guestPassword) {
            Add-Member -InputObject $p -NotePropertyName 'guestPassword' -NotePropertyValue ([string]$secrets.guestPassword) -Force
        }
        if ($p.computerName) {
            $invoke = @{ ComputerName = [string]$p.computerName; ScriptBlock = $Body; ArgumentList = @(, $p); ErrorAction = 'Stop' }
            if ($p.username) {
                $secure = ConvertTo-SecureString -String ([string]$secrets.password) -AsPlainText -Force
                $invoke.Credential = New-Object System.Management.Automation.PSCredential ([string]$p.username, $secure)
            }
            $data = Invoke-Command @invoke
        }
        else {
            $data = & $Body $p
        }
        Write-LifeboatEnvelope ([ordered]@{ ok = $true; data = $data })
    }
    catch {
        Write-LifeboatError $_ $Kind
    }
}
