/**
 * BackgroundExecutionManager: whether a bundle may run background tasks at all. The answer comes
 * from device policy (config), is remembered in the store, and is re-decided when the policy
 * changes — a bundle whose access is revoked has its running tasks cancelled with SystemPolicy.
 */
import type { BackgroundAccessRequestKind, BackgroundAccessStatus } from './enums.js';
import { DevicePolicy } from './policy.js';
import type { Store } from './store.js';
import { currentContext } from './context.js';

export class AccessManager {
  #store: Store;
  #policy: DevicePolicy;
  #now: () => number;
  /** Called when a bundle loses access it had; the runtime cancels and disarms its tasks. */
  onRevoked: (bundle: string, status: BackgroundAccessStatus) => void = () => {};
  /** Called by removeAccess: the runtime unregisters the bundle's tasks. */
  onRemoved: (bundle: string) => void = () => {};

  constructor(store: Store, policy: DevicePolicy, now: () => number) {
    this.#store = store;
    this.#policy = policy;
    this.#now = now;
  }

  requestAccess(bundle: string, _kind: BackgroundAccessRequestKind = 'AllowedSubjectToSystemPolicy'): BackgroundAccessStatus {
    const status = this.#policy.accessFor(bundle);
    const previous = this.#store.data.access[bundle]?.status;
    if (previous !== status) {
      this.#store.data.access[bundle] = { status, at: this.#now() };
      this.#store.changed();
    }
    return status;
  }

  getAccessStatus(bundle: string): BackgroundAccessStatus {
    return this.#store.data.access[bundle]?.status ?? 'Unspecified';
  }

  allowed(bundle: string): boolean {
    return DevicePolicy.allows(this.getAccessStatus(bundle));
  }

  removeAccess(bundle: string): void {
    this.onRemoved(bundle);
    if (this.#store.data.access[bundle]) {
      delete this.#store.data.access[bundle];
      this.#store.changed();
    }
  }

  /** A new policy: re-decide every bundle that asked before; report the ones that lost access. */
  setPolicy(policy: DevicePolicy): void {
    this.#policy = policy;
    for (const [bundle, record] of Object.entries(this.#store.data.access)) {
      const status = policy.accessFor(bundle);
      if (status === record.status) continue;
      const wasAllowed = DevicePolicy.allows(record.status);
      this.#store.data.access[bundle] = { status, at: this.#now() };
      this.#store.changed();
      if (wasAllowed && !DevicePolicy.allows(status)) this.onRevoked(bundle, status);
    }
  }
}

/** The seed's static facade, bound to the runtime running in this process. */
export const BackgroundExecutionManager = {
  requestAccess(bundle: string, kind?: BackgroundAccessRequestKind): BackgroundAccessStatus {
    return currentContext().access.requestAccess(bundle, kind);
  },
  getAccessStatus(bundle: string): BackgroundAccessStatus {
    return currentContext().access.getAccessStatus(bundle);
  },
  removeAccess(bundle: string): void {
    currentContext().access.removeAccess(bundle);
  },
};
