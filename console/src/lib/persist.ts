import { useEffect, useState } from 'preact/hooks';

/** Component state that survives page changes and reloads in this tab (filters, ranges). */
export function usePersistentState<T>(key: string, initial: T): [T, (v: T) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const raw = sessionStorage.getItem(`citysense.ui.${key}`);
      return raw === null ? initial : (JSON.parse(raw) as T);
    } catch {
      return initial;
    }
  });
  useEffect(() => {
    sessionStorage.setItem(`citysense.ui.${key}`, JSON.stringify(value));
  }, [key, value]);
  return [value, setValue];
}
