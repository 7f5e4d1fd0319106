/**
 * Common Azure VM sizes a recovered VM is given, smallest first: vCPUs, memory and the quota family they count
 * against (learn.microsoft.com/azure/virtual-machines/sizes: B-series, Dsv3, Esv3). A plan may name another.
 */
export interface AzureVmSize {
  name: string;
  vcpus: number;
  memoryMiB: number;
  /** compute usages name of the family's vCPU quota. */
  family: string;
}

export const AZURE_VM_SIZES: readonly AzureVmSize[] = [
  { name: 'Standard_B1s', vcpus: 1, memoryMiB: 1024, family: 'standardBSFamily' },
  { name: 'Standard_B2s', vcpus: 2, memoryMiB: 4096, family: 'standardBSFamily' },
  { name: 'Standard_D2s_v3', vcpus: 2, memoryMiB: 8192, family: 'standardDSv3Family' },
  { name: 'Standard_D4s_v3', vcpus: 4, memoryMiB: 16384, family: 'standardDSv3Family' },
  { name: 'Standard_E4s_v3', vcpus: 4, memoryMiB: 32768, family: 'standardESv3Family' },
  { name: 'Standard_D8s_v3', vcpus: 8, memoryMiB: 32768, family: 'standardDSv3Family' },
  { name: 'Standard_E8s_v3', vcpus: 8, memoryMiB: 65536, family: 'standardESv3Family' },
  { name: 'Standard_D16s_v3', vcpus: 16, memoryMiB: 65536, family: 'standardDSv3Family' },
];

/** The smallest common size with at least the VM's vCPUs and memory; the largest when none is big enough. */
export function azureSizeFor(cpus: number, memoryMiB: number): AzureVmSize {
  return AZURE_VM_SIZES.find((s) => s.vcpus >= cpus && s.memoryMiB >= memoryMiB) ?? AZURE_VM_SIZES[AZURE_VM_SIZES.length - 1]!;
}
