/**
 * Device capabilities a task reaches through `instance.call(name, …args)`. Drivers (and the
 * core) define them; a task may use one only if its manifest declares it — "events.emit" for
 * any target, "events.emit:door.opened" for one. The check runs here, in the runtime, for
 * isolated and in-process tasks alike.
 */
import type { Unsubscribe } from './emitter.js';
import { CapabilityError } from './errors.js';

export interface CapabilityCaller {
  taskId: string;
  name: string;
  bundle: string;
  instanceId: string;
  /** The trigger details the calling run started with (a GATT request, a message): what the call answers. */
  details?: unknown;
}

export interface CapabilityProvider {
  /** The target a call addresses (its first argument, usually), matched against ":target". */
  target?(args: unknown[]): string | undefined;
  invoke(args: unknown[], caller: CapabilityCaller): unknown;
}

export function declares(declared: readonly string[], name: string, target: string | undefined): boolean {
  return declared.some((d) => d === name || d === `${name}:*` || (target !== undefined && d === `${name}:${target}`));
}

export class Capabilities {
  readonly #providers = new Map<string, CapabilityProvider>();

  define(name: string, provider: CapabilityProvider): Unsubscribe {
    if (this.#providers.has(name)) throw new CapabilityError(name, `capability ${name} is already defined`, 'CAPABILITY_DEFINED_TWICE');
    this.#providers.set(name, provider);
    return () => {
      this.#providers.delete(name);
    };
  }

  names(): string[] {
    return [...this.#providers.keys()].sort();
  }

  async call(name: string, args: unknown[], declared: readonly string[], caller: CapabilityCaller): Promise<unknown> {
    const provider = this.#providers.get(name);
    const target = provider?.target?.(args);
    const wanted = target === undefined ? name : `${name}:${target}`;
    // Without a provider the target cannot be known; any declaration of the capability counts.
    const allowed = provider ? declares(declared, name, target) : declared.some((d) => d === name || d.startsWith(`${name}:`));
    if (!allowed) {
      const has = declared.length ? declared.join(', ') : 'none';
      throw new CapabilityError(wanted, `task "${caller.name}" of bundle "${caller.bundle}" used capability ${wanted}, which its manifest does not declare (it declares: ${has})`);
    }
    if (!provider) {
      throw new CapabilityError(name, `no driver on this device provides capability ${name} (available: ${this.names().join(', ') || 'none'})`, 'CAPABILITY_UNAVAILABLE');
    }
    return provider.invoke(args, caller);
  }
}
