# After a committed copy: turns the recovery checkpoint into a reference point (the checkpoint is merged and
# removed as a side effect) and returns its Resilient Change Tracking ids, one per virtual disk, for the next
# copy's Get-LifeboatDiskChanges.ps1. Then removes the reference points Lifeboat kept for the previous copy
# (only those the engine names by InstanceID: never another product's). A superseded one that is already gone
# is fine; one that cannot be removed is reported, not fatal — the new reference point is what matters.
# https://learn.microsoft.com/en-us/windows/win32/hyperv_v2/msvm-virtualsystemsnapshotservice-converttoreferencepoint
# https://learn.microsoft.com/en-us/windows/win32/hyperv_v2/msvm-virtualsystemreferencepoint
# https://learn.microsoft.com/en-us/windows/win32/hyperv_v2/msvm-virtualsystemreferencepointservice-destroyreferencepoint
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'checkpoint' {
    param($p)
    $ErrorActionPreference = 'Stop'
    $namespace = 'root\virtualization\v2'

    function Wait-LifeboatWmiJob($Result, [string]$What) {
        if ($Result.ReturnValue -eq 0) { return $null }
        if ($Result.ReturnValue -ne 4096) { throw "$What failed with return code $($Result.ReturnValue)." }
        $job = [wmi]$Result.Job
        while ($job.JobState -eq 3 -or $job.JobState -eq 4) {
            Start-Sleep -Milliseconds 250
            $job = [wmi]$Result.Job
        }
        if ($job.JobState -ne 7) { throw "$What failed: $($job.ErrorDescription) (error code $($job.ErrorCode))." }
        return $job
    }

    $vmId = ([guid][string]$p.vmId).ToString()
    $checkpointId = ([guid][string]$p.checkpointId).ToString()
    $snapshot = @(Get-WmiObject -Namespace $namespace -Class Msvm_VirtualSystemSettingData |
            Where-Object { $_.VirtualSystemIdentifier -eq $vmId -and $_.ConfigurationID -eq $checkpointId })[0]
    if ($null -eq $snapshot) { throw "The recovery checkpoint $checkpointId of VM $vmId no longer exists." }

    $snapshotService = @(Get-WmiObject -Namespace $namespace -Class Msvm_VirtualSystemSnapshotService)[0]
    $result = $snapshotService.ConvertToReferencePoint($snapshot.__PATH, '')
    $job = Wait-LifeboatWmiJob $result 'Turning the recovery checkpoint into a reference point'
    $point = $null
    if ($null -ne $job) {
        $point = @($job.GetRelated('Msvm_VirtualSystemReferencePoint', 'Msvm_AffectedJobElement', $null, $null, $null, $null, $false, $null))[0]
    }
    else { $point = [wmi]$result.ResultingReferencePoint }

    $notRemoved = @()
    $pointService = @(Get-WmiObject -Namespace $namespace -Class Msvm_VirtualSystemReferencePointService)[0]
    foreach ($old in @($p.superseded)) {
        if (-not $old -or [string]$old -eq [string]$point.InstanceID) { continue }
        $existing = @(Get-WmiObject -Namespace $namespace -Class Msvm_VirtualSystemReferencePoint |
                Where-Object { $_.VirtualSystemIdentifier -eq $vmId -and $_.InstanceID -eq [string]$old })
        foreach ($reference in $existing) {
            try {
                $removal = $pointService.DestroyReferencePoint($reference.__PATH)
                $null = Wait-LifeboatWmiJob $removal "Removing the reference point $old"
            }
            catch {
                $notRemoved += [ordered]@{ id = [string]$old; message = $_.Exception.Message }
            }
        }
    }

    [ordered]@{
        referencePointId = [string]$point.InstanceID
        disks            = @(for ($i = 0; $i -lt @($point.VirtualDiskIdentifiers).Count; $i++) {
                [ordered]@{
                    diskIdentifier = [string]@($point.VirtualDiskIdentifiers)[$i]
                    rctId          = [string]@($point.ResilientChangeTrackingIdentifiers)[$i]
                }
            })
        notRemoved       = $notRemoved
    }
}
