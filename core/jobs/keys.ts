/**
 * The job keys that keep work on the same thing from overlapping (JobQueue runs one job per key). Named in
 * one place because rooms check each other's keys: the scheduler holds back a VM's copies while its plan
 * fails over or back.
 */
export const jobKeys = {
  replicate: (vmId: string): string => `replicate:${vmId}`,
  drill: (planId: string): string => `drill:${planId}`,
  failover: (planId: string): string => `failover:${planId}`,
};
