# Unplanned failover, on the REPLICA host; the primary is lost and never contacted. Start-VMFailover from the
# latest recovery point (or the chosen one), Complete-VMFailover to commit it (the other recovery points are
# merged away), then Start-VM. Reverse replication waits until the old primary is back
# (Set-LifeboatReverseReplication.ps1).
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'failover' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    $point = 'latest'
    if ($p.recoverySnapshotId) {
        $snapshot = Get-VMSnapshot -VM $vm | Where-Object { $_.Id -eq [guid][string]$p.recoverySnapshotId }
        if (-not $snapshot) { throw "The recovery point $($p.recoverySnapshotId) of $($vm.Name) no longer exists on this replica." }
        Start-VMFailover -VMRecoverySnapshot $snapshot -Confirm:$false
        $point = $snapshot.CreationTime.ToUniversalTime().ToString('o')
    }
    else {
        Start-VMFailover -VM $vm -Confirm:$false
    }
    Complete-VMFailover -VM $vm -Confirm:$false
    Start-VM -VM $vm
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    [ordered]@{
        id                = $vm.VMId.ToString()
        name              = $vm.Name
        state             = $vm.State.ToString()
        point             = $point
        replicationState  = $vm.ReplicationState.ToString()
        replicationMode   = $vm.ReplicationMode.ToString()
        replicationHealth = $vm.ReplicationHealth.ToString()
    }
}
