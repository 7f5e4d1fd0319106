# Replication health of one VM (Measure-VMReplication), with the last replication time as ISO 8601.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'replication' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    $m = Measure-VMReplication -VM $vm
    $last = $null
    if ($m.LastReplicationTime) { $last = ([datetime]$m.LastReplicationTime).ToUniversalTime().ToString('o') }
    [ordered]@{
        vmName                    = $m.VMName
        health                    = $m.ReplicationHealth.ToString()
        state                     = $m.ReplicationState.ToString()
        mode                      = $m.ReplicationMode.ToString()
        lastReplicationTime       = $last
        pendingReplicationBytes   = $m.PendingReplicationSize
        averageReplicationLatency = [string]$m.AverageReplicationLatency
        averageReplicationBytes   = $m.AverageReplicationSize
        successfulReplications    = $m.SuccessfulReplicationCount
        missedReplications        = $m.MissedReplicationCount
        errors                    = $m.ReplicationErrors
        details                   = @($m.ReplicationHealthDetails | ForEach-Object { [string]$_.Message })
    }
}
