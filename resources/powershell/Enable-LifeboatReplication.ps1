# Hyper-V Replica to a second host: Enable-VMReplication, then the initial copy over the network.
# The replica host must accept replication (Set-VMReplicationServer) — the error says so when it does not.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'replication' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    $arguments = @{
        VM                      = $vm
        ReplicaServerName       = [string]$p.replicaServer
        ReplicaServerPort       = [int]$p.port
        AuthenticationType      = [string]$p.authentication
        ReplicationFrequencySec = [int]$p.frequencySec
        RecoveryHistory         = [int]$p.recoveryHistory
        CompressionEnabled      = $true
    }
    if ($p.certificateThumbprint) { $arguments.CertificateThumbprint = [string]$p.certificateThumbprint }
    Enable-VMReplication @arguments
    Start-VMInitialReplication -VM $vm
    $r = Get-VMReplication -VM $vm
    [ordered]@{ state = $r.State.ToString(); health = $r.Health.ToString(); mode = $r.Mode.ToString(); replicaServer = [string]$r.ReplicaServer }
}
