// Hash routes (`#/alerts`, `#/devices/gas-001`): the server serves one index.html and needs no fallback.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'alerts' }
  | { page: 'devices' }
  | { page: 'device'; id: string }
  | { page: 'map' }
  | { page: 'alert'; id: number }
  | { page: 'notifications' }
  | { page: 'rules' }
  | { page: 'silences'; prefill?: Record<string, string> };

/** Parses `location.hash`. */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'devices':
      return parts[1] ? { page: 'device', id: parts[1] } : { page: 'devices' };
    case 'map':
      return { page: 'map' };
    case 'notifications':
      return { page: 'notifications' };
    case 'rules':
      return { page: 'rules' };
    case 'silences':
      return { page: 'silences', prefill: Object.fromEntries(new URLSearchParams(search)) };
    case 'alerts':
      return parts[1] && /^\d+$/.test(parts[1]) ? { page: 'alert', id: Number(parts[1]) } : { page: 'alerts' };
    default:
      return { page: 'alerts' };
  }
}

/** The link to a device's page. */
export const deviceHref = (id: string) => `#/devices/${encodeURIComponent(id)}`;

/** The link to one alert's page (its notifications; the link every notification carries). */
export const alertHref = (id: number) => `#/alerts/${id}`;

/** The current route, following hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
