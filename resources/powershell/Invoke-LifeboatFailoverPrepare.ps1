# Planned failover, step 1, on the PRIMARY host: shut the VM down (guest shutdown through integration
# services; turned off when it has not stopped within shutdownTimeoutSeconds), then Start-VMFailover -Prepare,
# which sends every change not yet replicated to the replica. Nothing is lost; the replica side follows with
# Invoke-LifeboatPlannedFailover.ps1. Undo-LifeboatFailoverPrepare.ps1 goes back if that side fails.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'failover' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    $stopped = 'already off'
    if ($vm.State -ne 'Off') {
        $job = Stop-VM -VM $vm -Force -AsJob
        if (Wait-Job -Job $job -Timeout ([int]$p.shutdownTimeoutSeconds)) {
            Receive-Job -Job $job | Out-Null
            $stopped = 'guest shutdown'
        }
        else {
            Stop-Job -Job $job
            Stop-VM -VM $vm -TurnOff -Force
            $stopped = 'turned off'
        }
        Remove-Job -Job $job -Force
    }
    Start-VMFailover -VM $vm -Prepare -Confirm:$false
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    [ordered]@{
        id               = $vm.VMId.ToString()
        name             = $vm.Name
        state            = $vm.State.ToString()
        stopped          = $stopped
        replicationState = $vm.ReplicationState.ToString()
        replicationMode  = $vm.ReplicationMode.ToString()
    }
}
