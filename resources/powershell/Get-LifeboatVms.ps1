# Inventory: every VM with its disks (Get-VHD for format and size), network adapters, integration services
# (the heartbeat is found later by its Id suffix, because service names are localized), replication and the
# guest OS name from KVP exchange when the guest reports it.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'inventory' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V

    $guestOs = @{}
    try {
        foreach ($kvp in @(Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName 'Msvm_KvpExchangeComponent')) {
            foreach ($item in @($kvp.GuestIntrinsicExchangeItems)) {
                $xml = [xml]$item
                $name = $xml.SelectSingleNode("/INSTANCE/PROPERTY[@NAME='Name']/VALUE")
                $value = $xml.SelectSingleNode("/INSTANCE/PROPERTY[@NAME='Data']/VALUE")
                if ($name -and $value -and $name.InnerText -eq 'OSName') { $guestOs[[string]$kvp.SystemName] = $value.InnerText }
            }
        }
    }
    catch { } # KVP exchange off or not permitted: the guest OS stays unknown

    $vms = @(foreach ($vm in @(Get-VM)) {
        $drives = @(foreach ($drive in @(Get-VMHardDiskDrive -VM $vm)) {
            $vhd = $null
            if ($drive.Path -and $null -eq $drive.DiskNumber) {
                try { $vhd = Get-VHD -Path $drive.Path } catch { $vhd = $null }
            }
            [ordered]@{
                controllerType     = $drive.ControllerType.ToString()
                controllerNumber   = $drive.ControllerNumber
                controllerLocation = $drive.ControllerLocation
                path               = [string]$drive.Path
                diskNumber         = $drive.DiskNumber
                format             = if ($vhd) { $vhd.VhdFormat.ToString() } else { $null }
                type               = if ($vhd) { $vhd.VhdType.ToString() } else { $null }
                size               = if ($vhd) { $vhd.Size } else { $null }
                parentPath         = if ($vhd) { [string]$vhd.ParentPath } else { $null }
            }
        })
        $nics = @(foreach ($nic in @(Get-VMNetworkAdapter -VM $vm)) {
            [ordered]@{
                name        = [string]$nic.Name
                switchName  = [string]$nic.SwitchName
                macAddress  = [string]$nic.MacAddress
                ipAddresses = @($nic.IPAddresses | ForEach-Object { [string]$_ })
                connected   = [bool]$nic.Connected
            }
        })
        $services = @(foreach ($service in @(Get-VMIntegrationService -VM $vm)) {
            [ordered]@{
                id                = [string]$service.Id
                name              = [string]$service.Name
                enabled           = [bool]$service.Enabled
                primaryStatus     = [string]$service.PrimaryOperationalStatus
                statusDescription = [string]$service.PrimaryStatusDescription
            }
        })
        $replica = $null
        if ($vm.ReplicationState.ToString() -ne 'Disabled') {
            try {
                $r = Get-VMReplication -VM $vm
                $replica = [ordered]@{ primaryServer = [string]$r.PrimaryServer; replicaServer = [string]$r.ReplicaServer; mode = $r.Mode.ToString(); frequencySec = $r.FrequencySec }
            } catch { $replica = $null }
        }
        $id = $vm.VMId.ToString()
        [ordered]@{
            id                  = $id
            name                = $vm.Name
            state               = $vm.State.ToString()
            processorCount      = $vm.ProcessorCount
            memoryStartupBytes  = $vm.MemoryStartup
            memoryAssignedBytes = $vm.MemoryAssigned
            dynamicMemory       = [bool]$vm.DynamicMemoryEnabled
            generation          = $vm.Generation
            version             = [string]$vm.Version
            path                = [string]$vm.Path
            checkpointType      = $vm.CheckpointType.ToString()
            notes               = [string]$vm.Notes
            replicationState    = $vm.ReplicationState.ToString()
            replicationHealth   = $vm.ReplicationHealth.ToString()
            replicationMode     = $vm.ReplicationMode.ToString()
            replication         = $replica
            guestOs             = $guestOs[$id.ToUpperInvariant()]
            creationTime        = $vm.CreationTime.ToString('o')
            hardDrives          = $drives
            networkAdapters     = $nics
            integrationServices = $services
        }
    })
    [ordered]@{ host = [System.Net.Dns]::GetHostName(); vms = $vms }
}
