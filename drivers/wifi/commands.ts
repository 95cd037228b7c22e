/**
 * How the Wi-Fi driver reaches NetworkManager: nmcli and iw run as programs (never through a
 * shell, so an SSID is always data), and `nmcli monitor` as a stream of lines. The real runner
 * executes them; the simulated NetworkManager answers the same commands with the same output,
 * so the driver's parsing and error handling run unchanged over both.
 */
export type Program = 'nmcli' | 'iw';

export interface CommandResult {
  /** The exit status (nmcli: 0 ok, 2 bad arguments, 3 timeout, 4 activation failed, 8 NetworkManager not running, 10 no such connection/device). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the program's standard input, then closed: how secrets travel. */
  stdin?: string;
  /** Kill the program after this long (default 60 s); the result then has code 124. */
  timeoutMs?: number;
}

export interface MonitorHandle {
  stop(): void;
}

export interface CommandRunner {
  run(program: Program, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /**
   * Start `nmcli monitor`: each line of its output to onLine; onExit when it ends by itself
   * (NetworkManager went away, the program was killed), never after stop().
   */
  monitor(onLine: (line: string) => void, onExit: (reason: string) => void): MonitorHandle;
}
