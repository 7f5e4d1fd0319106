# A drill's in-guest check: the plan's own PowerShell text, run inside the drill VM's guest through
# PowerShell Direct (New-PSSession -VMId on the host, over VMBus). Parameters: vmId, script, timeoutSeconds
# and the guest account (guestUsername, and guestPassword, which Invoke-LifeboatScript adds from the process's
# secrets, never from the command text), from which the PSCredential is built here; the password is never printed. The script text travels as an argument value and becomes a script block only
# inside the guest session ([scriptblock]::Create): it is the user's code, never joined with anything.
# Result: outcome "succeeded" (no error record, nothing thrown, $LASTEXITCODE 0 or unset), "failed",
# "timeout" (stopped at the deadline), or "no-session" when PowerShell Direct could not sign in; with the
# output (text, capped), the errors and the exit code.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'guest-script' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    $timeout = [Math]::Max(1, [int]$p.timeoutSeconds)
    $deadline = [DateTime]::UtcNow.AddSeconds($timeout)
    $secure = ConvertTo-SecureString -String ([string]$p.guestPassword) -AsPlainText -Force
    $credential = New-Object System.Management.Automation.PSCredential ([string]$p.guestUsername, $secure)

    # PowerShell Direct refuses sign-ins until the guest has finished starting: retried until the deadline.
    $session = $null
    $failure = $null
    while ($null -eq $session) {
        try {
            $session = New-PSSession -VMId $vm.Id -Credential $credential -ErrorAction Stop
        }
        catch {
            $failure = $_
            if ([DateTime]::UtcNow -ge $deadline) { break }
            Start-Sleep -Seconds 2
        }
    }
    if ($null -eq $session) {
        return [ordered]@{
            outcome       = 'no-session'
            output        = ''
            errors        = @([string]$failure.Exception.Message)
            exitCode      = $null
            message       = [string]$failure.Exception.Message
            exceptionType = $failure.Exception.GetType().FullName
            errorId       = [string]$failure.FullyQualifiedErrorId
        }
    }

    try {
        $seconds = [Math]::Max(1, [int][Math]::Ceiling(($deadline - [DateTime]::UtcNow).TotalSeconds))
        $job = Invoke-Command -Session $session -AsJob -ArgumentList ([string]$p.script) -ScriptBlock {
            param([string]$text)
            $global:LASTEXITCODE = $null
            $errors = New-Object System.Collections.Generic.List[string]
            $items = @()
            try {
                $check = [scriptblock]::Create($text)
                $items = @(& $check 2>&1)
            }
            catch {
                $errors.Add([string]$_.Exception.Message)
            }
            $output = New-Object System.Collections.Generic.List[object]
            foreach ($item in $items) {
                if ($item -is [System.Management.Automation.ErrorRecord]) { $errors.Add([string]$item.Exception.Message) }
                else { $output.Add($item) }
            }
            $shown = ($output | Out-String -Width 200).Trim()
            if ($shown.Length -gt 8000) { $shown = $shown.Substring(0, 8000) }
            $exitCode = $global:LASTEXITCODE
            $succeeded = ($errors.Count -eq 0) -and (($null -eq $exitCode) -or ($exitCode -eq 0))
            @{ outcome = $(if ($succeeded) { 'succeeded' } else { 'failed' }); output = $shown; errors = @($errors); exitCode = $exitCode }
        }
        if (Wait-Job -Job $job -Timeout $seconds) {
            $result = Receive-Job -Job $job -ErrorAction Stop
        }
        else {
            Stop-Job -Job $job
            $result = @{ outcome = 'timeout'; output = ''; errors = @("still running after $timeout s"); exitCode = $null }
        }
        Remove-Job -Job $job -Force
    }
    finally {
        Remove-PSSession -Session $session
    }
    # Projected again: what comes back from a session carries PSComputerName and RunspaceId.
    [ordered]@{
        outcome       = [string]$result.outcome
        output        = [string]$result.output
        errors        = @(foreach ($e in @($result.errors)) { if ($null -ne $e) { [string]$e } })
        exitCode      = $(if ($null -eq $result.exitCode) { $null } else { [int]$result.exitCode })
        message       = $null
        exceptionType = $null
        errorId       = $null
    }
}
