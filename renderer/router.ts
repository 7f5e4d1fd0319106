import { useEffect, useState } from 'react';

export const pages = ['dashboard', 'vms', 'protection', 'drills', 'reports', 'activity', 'settings'] as const;
export type PageId = (typeof pages)[number];

function fromHash(hash: string): PageId {
  const id = hash.replace(/^#\/?/, '');
  return (pages as readonly string[]).includes(id) ? (id as PageId) : 'dashboard';
}

/** The page lives in the URL hash, so reload and the browser's back button keep the user where they were. */
export function useRoute(): [PageId, (page: PageId) => void] {
  const [page, setPage] = useState<PageId>(() => fromHash(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setPage(fromHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return [page, (next) => (window.location.hash = `#/${next}`)];
}
