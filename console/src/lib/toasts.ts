// Short messages in the corner: an action that failed, a silence created.
import { Observable } from './observable.js';

export interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

export class Toasts extends Observable<Toast[]> {
  private next = 1;

  constructor() {
    super([]);
  }

  /** Shows `text` for a few seconds. */
  show(text: string, kind: Toast['kind'] = 'ok'): void {
    const toast = { id: this.next++, kind, text };
    this.update((list) => [...list.slice(-3), toast]);
    window.setTimeout(() => this.update((list) => list.filter((t) => t.id !== toast.id)), kind === 'error' ? 7000 : 3500);
  }
}
