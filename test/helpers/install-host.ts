/** `vigil install`'s host for tests: every command recorded and answered, systemctl answering from a settable state. */
import { rmSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { InstallHost } from '../../deploy/install/install.js';
import type { CommandResult } from '../../deploy/install/runner.js';
import { deviceTree } from './device-tree.js';

export const NOW = Date.UTC(2026, 4, 1);

export interface Recorder {
  commands: string[][];
  host: InstallHost;
  /** What systemctl is-enabled / is-active answer. */
  state: { enabled: boolean; active: boolean };
}

/** A host whose commands are recorded and answered; useradd and friends do nothing, systemctl answers from `state`. */
export function recorder(root: string, overrides: Partial<InstallHost> = {}): Recorder {
  const commands: string[][] = [];
  const state = { enabled: false, active: false };
  const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
  const host: InstallHost = {
    runner: async (command, args) => {
      commands.push([command, ...args]);
      if (command === 'systemctl' && args[0] === 'is-enabled') return state.enabled ? ok('enabled\n') : { code: 1, stdout: '', stderr: 'Failed to get unit file state for vigil.service: No such file or directory\n' };
      if (command === 'systemctl' && args[0] === 'is-active') return state.active ? ok('active\n') : { code: 3, stdout: 'inactive\n', stderr: '' };
      return ok();
    },
    uid: 0,
    fsRoot: root,
    systemdRunning: true,
    nodePath: '/usr/bin/node',
    nodeVersion: '22.11.0',
    hostname: 'garden.example.org',
    now: NOW,
    ...overrides,
  };
  return { commands, host, state };
}

export function tree(t: TestContext, options?: Parameters<typeof deviceTree>[0]): string {
  const root = deviceTree(options);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

export const mutating = (commands: string[][]) => commands.filter((c) => !(c[0] === 'systemctl' && (c[1] === 'is-enabled' || c[1] === 'is-active')));

