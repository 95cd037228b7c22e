/**
 * cmdline.txt is one line of space-separated kernel parameters; a second line is ignored by the
 * firmware, and a stray newline in the middle cuts the command line short. Every edit here
 * works on the parameters and writes them back as exactly one line, and is idempotent.
 */

/** The parameters that make systemd run a script once on the next boot, then reboot. */
export function firstrunParams(script: string): string[] {
  return [`systemd.run=${script}`, 'systemd.run_success_action=reboot', 'systemd.unit=kernel-command-line.target'];
}

const RUN_PARAM = /^systemd\.(run|run_success_action|run_failure_action)=/;
const RUN_UNIT = 'systemd.unit=kernel-command-line.target';
const REGDOM = 'cfg80211.ieee80211_regdom=';
/** The serial console: on the UART's pins unless taken off (serial0 is the alias for the pins). */
const SERIAL_CONSOLE = /^console=(serial0|serial1|ttyAMA0|ttyS0)(,|$)/;

export function params(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

const line = (list: string[]) => `${list.join(' ')}\n`;

/** Runs `script` on the next boot, replacing any earlier one-shot run. */
export function withFirstrun(text: string, script: string): string {
  return line([...params(text).filter((p) => !RUN_PARAM.test(p) && p !== RUN_UNIT), ...firstrunParams(script)]);
}

/** The Wi-Fi regulatory domain from the first moment the driver loads. */
export function withRegdom(text: string, country: string): string {
  return line([...params(text).filter((p) => !p.startsWith(REGDOM)), `${REGDOM}${country}`]);
}

/** Takes the login console off the UART, so a modem or GNSS receiver on its pins has it alone. */
export function withoutSerialConsole(text: string): string {
  return line(params(text).filter((p) => !SERIAL_CONSOLE.test(p)));
}
