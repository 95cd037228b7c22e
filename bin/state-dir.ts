/** Which runtime a client command talks to: --state DIR, else the state directory of the config in use. */
import { loadConfig, resolveConfigPath } from '../runtime/config.js';
import { statePaths } from '../runtime/paths.js';
import { resolve } from 'node:path';

export interface TargetOptions {
  state?: string;
  config?: string;
}

export function socketFor(options: TargetOptions): string {
  const stateDir = options.state ? resolve(options.state) : process.env.VIGIL_STATE ? resolve(process.env.VIGIL_STATE) : loadConfig(resolveConfigPath(options.config)).stateDir;
  return statePaths(stateDir).socket;
}

export const targetHelp = {
  state: 'state directory of the runtime to talk to (default: the config\'s stateDir, or $VIGIL_STATE)',
  config: 'config file whose stateDir to use (default: $VIGIL_CONFIG, /etc/vigil/config.json, or the embedded default)',
};
