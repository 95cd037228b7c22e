/**
 * Typed events whose subscriptions return the function that ends them, the way the seed's
 * delegates are added and removed. A listener that throws is reported, never allowed to break
 * the emitter or the listeners after it.
 */
export type Unsubscribe = () => void;

type Listener<A extends unknown[]> = (...args: A) => void;

/** Event name → listener arguments. Interfaces qualify, not only index-signature types. */
export type EventMap<E> = { [K in keyof E]: unknown[] };

export class Emitter<E extends EventMap<E>> {
  #listeners = new Map<keyof E, Set<Listener<never[]>>>();
  #onListenerError: (err: unknown, event: keyof E) => void;

  constructor(onListenerError?: (err: unknown, event: keyof E) => void) {
    this.#onListenerError =
      onListenerError ??
      ((err, event) => {
        process.emitWarning(`a listener for "${String(event)}" threw: ${String(err)}`);
      });
  }

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): Unsubscribe {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    const entry = listener as unknown as Listener<never[]>;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): Unsubscribe {
    const off = this.on(event, ((...args: E[K]) => {
      off();
      listener(...args);
    }) as Listener<E[K]>);
    return off;
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<E[K]>)(...args);
      } catch (err) {
        this.#onListenerError(err, event);
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAll(): void {
    this.#listeners.clear();
  }
}
