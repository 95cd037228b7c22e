/** `vigil status [--json]`: registrations, work cost, last runs, drivers of the running runtime. */
import { Command } from 'commander';
import { controlRequest } from '../runtime/control-client.js';
import type { StatusReport, TaskStatus } from '../runtime/status.js';
import { socketFor, targetHelp, type TargetOptions } from './state-dir.js';

export function statusCommand(): Command {
  return new Command('status')
    .description('show the running runtime: registrations and their last runs, work cost, conditions, drivers, bundles')
    .option('--json', 'print the full report as JSON')
    .option('--state <dir>', targetHelp.state)
    .option('--config <file>', targetHelp.config)
    .action(async (options: TargetOptions & { json?: boolean }) => {
      const report = (await controlRequest(socketFor(options), 'status')) as StatusReport;
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, Date.now()));
    });
}

export function formatStatus(r: StatusReport, now: number): string {
  const c = r.conditions;
  const lines = [
    `vigil on ${r.device}: up ${duration(r.uptimeSec * 1000)}, pid ${r.pid}, ready in ${r.readyMs} ms, ${r.memory.rssMb} MB RSS`,
    `work cost   ${r.workCost.value}${r.workCost.causes.length ? ` (${r.workCost.causes.join(', ')})` : ''}`,
    `conditions  internet ${yes(c.internet)}${c.internet ? (c.metered ? ' (metered)' : ' (free)') : ''}, user present ${yes(c.userPresent)}, session ${yes(c.sessionConnected)}, supply ${c.supplyGood ? 'good' : 'BAD'}, energy saver ${c.energySaver ? 'ON' : 'off'}`,
    `drivers     ${r.drivers.map((d) => `${d.name} (${d.binding})${d.state === 'failed' ? ' FAILED' : ''}`).join(', ')}`,
    ...r.drivers.filter((d) => d.error).map((d) => `            ${d.name}: ${d.error}`),
    ...(r.gpio?.length ? [`gpio        ${r.gpio.map((l) => `${l.name}=${l.value} (BCM ${l.bcm} ${l.direction}${l.role ? `, ${l.role}` : ''})`).join(', ')}`] : []),
    ...(r.sensors ?? []).map(
      (s) =>
        `sensor      ${s.name} (${s.type} @0x${s.address.toString(16)}): ${
          s.state === 'failed' ? `FAILED ${s.error ?? ''}` : s.last ? Object.entries(s.last.values).map(([k, v]) => `${k} ${Number(v.toPrecision(5))}${s.channels[k] ? ` ${s.channels[k].unit}` : ''}`).join(', ') : 'starting'
        }`,
    ),
    ...(r.modem ? [modemLine(r.modem)] : []),
    ...(r.modem?.inbox.length ? [`sms         ${r.modem.inbox.length} waiting: ${r.modem.inbox.map((m) => `${m.from} (${m.done} done, ${m.failures} failed)`).join(', ')}`] : []),
    ...(r.ble ? bleLines(r.ble) : []),
    ...(r.network ? [networkLine(r.network)] : []),
    ...(r.wifi ? wifiLines(r.wifi) : []),
    `workers     ${r.pool.idle} warm, ${r.pool.busy} busy, ${r.pool.spawned} started`,
    `bundles     ${r.bundles.map((b) => `${b.name} ${b.version} (${b.tasks})`).join(', ') || 'none'}`,
  ];
  for (const b of r.rejected) lines.push(`rejected    ${b.name}: ${b.error.message}`);
  lines.push('');
  const rows = r.tasks.map((t) => [t.name, t.bundle, t.trigger, stateOf(t, now), lastRun(t, now)]);
  const header = ['TASK', 'BUNDLE', 'TRIGGER', 'STATE', 'LAST RUN'];
  const widths = header.map((h, i) => Math.min(44, Math.max(h.length, ...rows.map((row) => row[i]!.length))));
  const fmt = (row: string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.slice(0, widths[i]).padEnd(widths[i]!))).join('  ');
  lines.push(fmt(header));
  for (const row of rows) lines.push(fmt(row));
  if (rows.length === 0) lines.push('(no registrations)');
  return `${lines.join('\n')}\n`;
}

function stateOf(t: TaskStatus, now: number): string {
  if (t.running) return `running ${t.running.progress}%${t.running.cancelling ? ` (cancelling: ${t.running.cancelling})` : ''}`;
  if (t.state === 'waiting') return `waiting (${t.waiting})`;
  if (t.state === 'done') return 'done';
  if (t.nextDueAt !== undefined) return `next in ${duration(Math.max(0, t.nextDueAt - now))}`;
  return 'idle';
}

function lastRun(t: TaskStatus, now: number): string {
  const run = t.lastRun;
  if (!run) return '-';
  const what = run.outcome === 'canceled' ? `canceled (${run.reason})` : run.outcome === 'failed' ? `failed (${run.error?.code})` : 'succeeded';
  return `${what} ${duration(now - run.endedAt)} ago in ${duration(run.durationMs)}`;
}

function yes(v: boolean): string {
  return v ? 'yes' : 'no';
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

function bleLines(b: NonNullable<StatusReport['ble']>): string[] {
  const lines: string[] = [];
  if (b.central) lines.push(`ble central ${b.central.adapter} (${b.central.binding}): ${b.central.error ? 'FAILED' : b.central.state}${b.central.scanning ? `, scanning, ${b.central.adverts} adverts heard` : ''}, ${b.central.watchers} watcher(s)`);
  if (b.peripheral) {
    const p = b.peripheral;
    const pubs = p.publishers.map((x) => `${x.name} ${x.status}`).join(', ');
    lines.push(`ble periph  ${p.adapter} (${p.binding}): ${p.error ? 'FAILED' : p.state}${p.advertising ? ', advertising' : ''}${p.services.length ? `, serving ${p.services.join(', ')} (${p.subscribers} subscribed)` : ''}${pubs ? `, publishers: ${pubs}` : ''}`);
  }
  for (const s of b.sensors) lines.push(`ble sensor  ${s.name} (${s.address}): ${s.error ? `${s.error}` : s.last ? Object.entries(s.last.values).map(([k, v]) => `${k} ${Number(v.toPrecision(5))}`).join(', ') : 'not heard yet'}`);
  for (const l of b.links) lines.push(`ble link    ${l.device}: ${l.state}${l.notifications ? `, ${l.notifications} notifications` : ''}${l.error ? ` (${l.error})` : ''}`);
  return lines;
}

function modemLine(m: NonNullable<StatusReport['modem']>): string {
  const id = [m.identity.manufacturer, m.identity.model].filter(Boolean).join(' ') || 'modem';
  const op = m.operator?.name ?? m.operator?.numeric;
  const signal = m.signal ? `, signal ${m.signal.dbm} dBm` : '';
  const state = m.ready ? `SIM ${m.pin}, radio ${m.radio}, ${m.registration}${op ? ` on ${op}` : ''}${signal}` : `not answering${m.error ? ` (${m.error})` : ''}`;
  return `modem       ${id} on ${m.path}: ${state}${m.activeFilter ? `, filter ${m.activeFilter}` : ''}`;
}

function networkLine(n: NonNullable<StatusReport['network']>): string {
  const route = n.defaultRoute ? `default route ${n.defaultRoute.iface} (${n.defaultRoute.kind})` : 'no default route';
  const ifaces = n.interfaces.map((i) => `${i.iface} ${i.state}`).join(', ');
  return `network     ${route}, internet ${yes(n.internet)}${n.connectivity !== 'unknown' ? ` (NetworkManager: ${n.connectivity})` : ''}${ifaces ? `; ${ifaces}` : ''}`;
}

function wifiLines(w: NonNullable<StatusReport['wifi']>): string[] {
  const link = !w.available ? `NetworkManager not answering${w.error ? ` (${w.error})` : ''}` : w.ssid !== undefined ? `joined "${w.ssid}"${w.signal !== undefined ? ` (signal ${w.signal})` : ''}` : 'not joined';
  const lines = [`wifi        ${w.iface} (${w.binding}): ${link}`];
  const m = w.hotspot.metadata;
  lines.push(`hotspot     ${w.hotspot.up ? `up as "${w.hotspot.ssid ?? '?'}", ${w.hotspot.stations} client(s)` : 'down'}; ${m.availability}${m.batteryPercent !== undefined ? `, battery ${m.batteryPercent} %` : ''}${m.cellularBars !== undefined ? `, ${m.cellularBars} bars` : ''}`);
  if (w.portal) lines.push(`portal      "${w.portal.ssid}": ${w.portal.state}`);
  for (const b of w.blocked) lines.push(`wifi        "${b.ssid}" not retried: ${b.reason} (fix the config and restart)`);
  return lines;
}
