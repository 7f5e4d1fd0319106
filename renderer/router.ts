import { useEffect, useState } from 'react';

export const pages = ['dashboard', 'vms', 'protection', 'drills', 'reports', 'activity', 'settings'] as const;
export type PageId = (typeof pages)[number];

export interface Route {
  page: PageId;
  /** The part after the page: a drill id in #/drills/<id>. */
  param: string | null;
}

export function parseRoute(hash: string): Route {
  const [id = '', ...rest] = hash.replace(/^#\/?/, '').split('/');
  const page = (pages as readonly string[]).includes(id) ? (id as PageId) : 'dashboard';
  const param = page === id && rest.length > 0 && rest.join('/') ? decodeURIComponent(rest.join('/')) : null;
  return { page, param };
}

export function routeHash(page: PageId, param?: string | null): string {
  return `#/${page}${param ? `/${encodeURIComponent(param)}` : ''}`;
}

/** Navigate from anywhere (a notification, a wizard's last step). */
export function navigate(page: PageId, param?: string | null): void {
  window.location.hash = routeHash(page, param);
}

/** The page lives in the URL hash, so reload and the browser's back button keep the user where they were. */
export function useRoute(): [Route, (page: PageId, param?: string | null) => void] {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return [route, navigate];
}
