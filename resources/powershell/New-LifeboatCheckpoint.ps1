# A checkpoint to copy from. Production (VSS, application-consistent) first, so Lifeboat knows which kind it got;
# consistency "prefer" then takes a crash-consistent one and says why; "require" fails; "crash" goes straight to
# crash-consistent. The disks returned are the ones the checkpoint froze (the VM now writes to .avhdx files).
#
# VMs at configuration version 8.0 or later (Windows Server 2016+) get a *recovery* checkpoint through
# Msvm_VirtualSystemSnapshotService.CreateSnapshot (SnapshotType 32768), the kind backup products take: after
# the copy, Save-LifeboatReferencePoint.ps1 turns it into a reference point whose Resilient Change Tracking ids
# let the next copy read only what changed. Older VMs have no RCT: a standard/production checkpoint
# (Checkpoint-VM) as before, and noChangeTracking says why the next copy reads everything.
# https://learn.microsoft.com/en-us/windows/win32/hyperv_v2/msvm-virtualsystemsnapshotservice-createsnapshot
# https://learn.microsoft.com/en-us/virtualization/hyper-v-on-windows/user-guide/hyper-v-backup (RCT backup flow)
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'checkpoint' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $namespace = 'root\virtualization\v2'

    # A WMI method that answered 4096 runs as a job: wait for it, fail with its own words.
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

    # ConsistencyLevel 1 = application-consistent (VSS in the guest), 2 = crash-consistent.
    function New-LifeboatRecoveryCheckpoint($VmId, [int]$ConsistencyLevel) {
        $system = @(Get-WmiObject -Namespace $namespace -Class Msvm_ComputerSystem | Where-Object { $_.Name -eq $VmId })[0]
        $service = @(Get-WmiObject -Namespace $namespace -Class Msvm_VirtualSystemSnapshotService)[0]
        $settings = ([wmiclass]'root\virtualization\v2:Msvm_VirtualSystemSnapshotSettingData').CreateInstance()
        $settings.ConsistencyLevel = $ConsistencyLevel
        $settings.IgnoreNonSnapshottableDisks = $true
        $result = $service.CreateSnapshot($system.__PATH, $settings.GetText(2), 32768)
        $job = Wait-LifeboatWmiJob $result 'The recovery checkpoint'
        $created = $null
        if ($null -ne $job) {
            $created = @($job.GetRelated('Msvm_VirtualSystemSettingData', 'Msvm_AffectedJobElement', $null, $null, $null, $null, $false, $null))[0]
        }
        else { $created = [wmi]$result.ResultingSnapshot }
        return Get-VMSnapshot -Id ([guid][string]$created.ConfigurationID)
    }

    $vm = Get-VM -Id ([guid][string]$p.vmId)
    $vmIdText = $vm.Id.ToString()
    $kind = 'app-consistent'
    $note = $null
    $noChangeTracking = $null
    if ($vm.State.ToString() -eq 'Off') { $kind = 'powered-off' }
    $snapshot = $null
    $rct = ([version][string]$vm.Version) -ge ([version]'8.0')
    if ($rct) {
        if ($p.consistency -eq 'crash' -or $kind -eq 'powered-off') {
            if ($kind -ne 'powered-off') {
                $kind = 'crash-consistent'
                $note = 'The policy asks for crash-consistent copies: a crash-consistent checkpoint was taken.'
            }
            $snapshot = New-LifeboatRecoveryCheckpoint $vmIdText 2
        }
        else {
            try {
                $snapshot = New-LifeboatRecoveryCheckpoint $vmIdText 1
            }
            catch {
                if ($p.consistency -ne 'prefer') { throw }
                $note = "The production (VSS) checkpoint failed: $($_.Exception.Message) A crash-consistent checkpoint was taken instead, as the policy allows."
                $snapshot = New-LifeboatRecoveryCheckpoint $vmIdText 2
                $kind = 'crash-consistent'
            }
        }
    }
    else {
        $noChangeTracking = "Resilient Change Tracking needs VM configuration version 8.0 or later and this VM is $($vm.Version): every copy reads its whole disks. Update-VMVersion raises it (the VM can then no longer move to older hosts)."
        $original = $vm.CheckpointType
        try {
            if ($p.consistency -eq 'crash') {
                Set-VM -VM $vm -CheckpointType Standard
                if ($kind -ne 'powered-off') {
                    $kind = 'crash-consistent'
                    $note = 'The policy asks for crash-consistent copies: a standard checkpoint was taken.'
                }
                $snapshot = Checkpoint-VM -VM $vm -SnapshotName ([string]$p.name) -Passthru
            }
            else {
                Set-VM -VM $vm -CheckpointType ProductionOnly
                try {
                    $snapshot = Checkpoint-VM -VM $vm -SnapshotName ([string]$p.name) -Passthru
                }
                catch {
                    if ($p.consistency -ne 'prefer' -or $kind -eq 'powered-off') { throw }
                    $note = "The production (VSS) checkpoint failed: $($_.Exception.Message) A standard (crash-consistent) checkpoint was taken instead, as the policy allows."
                    Set-VM -VM $vm -CheckpointType Standard
                    $snapshot = Checkpoint-VM -VM $vm -SnapshotName ([string]$p.name) -Passthru
                    $kind = 'crash-consistent'
                }
            }
        }
        finally {
            Set-VM -VM $vm -CheckpointType $original
        }
    }
    $disks = @(foreach ($drive in @(Get-VMHardDiskDrive -VMSnapshot $snapshot)) {
        $size = $null
        $identifier = $null
        try {
            $vhd = Get-VHD -Path $drive.Path
            $size = $vhd.Size
            $identifier = [string]$vhd.DiskIdentifier
        }
        catch { $size = $null }
        [ordered]@{
            controllerType     = $drive.ControllerType.ToString()
            controllerNumber   = $drive.ControllerNumber
            controllerLocation = $drive.ControllerLocation
            path               = [string]$drive.Path
            size               = $size
            diskIdentifier     = $identifier
        }
    })
    [ordered]@{
        id               = $snapshot.Id.ToString()
        name             = $snapshot.Name
        kind             = $kind
        note             = $note
        recovery         = [bool]$rct
        noChangeTracking = $noChangeTracking
        createdAt        = $snapshot.CreationTime.ToString('o')
        disks            = $disks
    }
}
