# What answers: host name, Windows version and whether the Hyper-V module is there.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'host' {
    param($p)
    $ErrorActionPreference = 'Stop'
    if (-not (Get-Module -ListAvailable -Name Hyper-V)) {
        throw (New-Object System.Management.Automation.ItemNotFoundException "The Hyper-V PowerShell module is not installed on $([System.Net.Dns]::GetHostName()).")
    }
    Import-Module Hyper-V
    $vmHost = Get-VMHost
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    [ordered]@{
        name             = $vmHost.ComputerName
        product          = [string]$os.Caption
        version          = [string]$os.Version
        logicalProcessors = $vmHost.LogicalProcessorCount
        memoryBytes      = $vmHost.MemoryCapacity
        virtualMachinePath = $vmHost.VirtualMachinePath
        virtualHardDiskPath = $vmHost.VirtualHardDiskPath
    }
}
