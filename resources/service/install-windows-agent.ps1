<#
.SYNOPSIS
  Runs the Lifeboat agent at boot on a Windows host without a desktop (Server Core, Hyper-V Server).

.DESCRIPTION
  Registers a scheduled task that starts `lifeboat agent` at system start-up as LocalSystem, restarts it when
  it stops, and keeps its data in %ProgramData%\Lifeboat. A scheduled task is used rather than a service
  because Node is not a Windows service binary; the task gives the same start-at-boot, run-without-logon
  and restart-on-failure behaviour. Remove with -Uninstall. Parameters are passed as data, not script text.

.EXAMPLE
  .\install-windows-agent.ps1 -InstallDir 'C:\Program Files\Lifeboat' -Port 8470
#>
[CmdletBinding()]
param(
  [string] $InstallDir = (Join-Path $env:ProgramFiles 'Lifeboat'),
  [ValidateRange(0, 65535)] [int] $Port = 8470,
  [string] $DataDir = (Join-Path $env:ProgramData 'Lifeboat'),
  [switch] $Uninstall
)
$ErrorActionPreference = 'Stop'
$taskName = 'Lifeboat Agent'

if ($Uninstall) {
  Unregister-ScheduledTask -TaskName $taskName -Confirm:$false -ErrorAction SilentlyContinue
  Write-Output "Removed the '$taskName' task. The data folder $DataDir is kept."
  return
}

$exe = Join-Path $InstallDir 'Lifeboat.exe'
if (-not (Test-Path -LiteralPath $exe)) { throw "Lifeboat.exe not found in $InstallDir. Install Lifeboat first or pass -InstallDir." }
New-Item -ItemType Directory -Force -Path $DataDir | Out-Null

$action = New-ScheduledTaskAction -Execute $exe -Argument ('--agent --port {0} --data "{1}"' -f $Port, $DataDir)
$trigger = New-ScheduledTaskTrigger -AtStartup
$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
$settings = New-ScheduledTaskSettingsSet -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) -ExecutionTimeLimit ([TimeSpan]::Zero) -StartWhenAvailable
Register-ScheduledTask -TaskName $taskName -Action $action -Trigger $trigger -Principal $principal -Settings $settings -Force | Out-Null
Start-ScheduledTask -TaskName $taskName
Write-Output "Lifeboat agent registered and started. Its console link is in $DataDir\logs\lifeboat.log and the lock file $DataDir\engine.lock."
