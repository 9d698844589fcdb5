// A value that views re-render on: the console's only state mechanism besides component state.
import { useEffect, useReducer } from 'preact/hooks';

export class Observable<T> {
  private readonly listeners = new Set<() => void>();
  constructor(private value: T) {}

  get(): T {
    return this.value;
  }

  set(value: T): void {
    this.value = value;
    for (const l of this.listeners) l();
  }

  update(fn: (value: T) => T): void {
    this.set(fn(this.value));
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

interface Subscribable {
  subscribe(listener: () => void): () => void;
}

/**
 * Re-renders the component when `source` changes, at most every 16 ms. A timer, not an animation frame: frames
 * stop in a hidden tab, and the tab title must still count new critical alerts there.
 */
export function useSubscription(source: Subscribable): void {
  const [, force] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    let timer = 0;
    const off = source.subscribe(() => {
      if (timer) return;
      timer = window.setTimeout(() => {
        timer = 0;
        force(undefined);
      }, 16);
    });
    return () => {
      off();
      if (timer) window.clearTimeout(timer);
    };
  }, [source]);
}

/** The value of an observable, re-rendering on change. */
export function useObservable<T>(source: Observable<T>): T {
  useSubscription(source);
  return source.get();
}

/** The current time, refreshed every `ms` (for "3m ago" labels). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useReducer((_: number, t: number) => t, Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(id);
  }, [ms]);
  return now;
}
