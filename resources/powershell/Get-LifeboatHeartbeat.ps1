# The guest heartbeat, found by its integration-service Id suffix (its display name is localized:
# "Heartbeat", "Takt", "Pulsation", ...).
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'heartbeat' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    $services = @(foreach ($service in @(Get-VMIntegrationService -VM $vm)) {
        [ordered]@{
            id                = [string]$service.Id
            name              = [string]$service.Name
            enabled           = [bool]$service.Enabled
            primaryStatus     = [string]$service.PrimaryOperationalStatus
            statusDescription = [string]$service.PrimaryStatusDescription
        }
    })
    [ordered]@{ state = $vm.State.ToString(); integrationServices = $services }
}
