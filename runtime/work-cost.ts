/**
 * BackgroundWorkCost from the system readings: how expensive background work is right now.
 * Each input (memory left, memory pressure, load, SoC temperature, firmware throttling) votes
 * a level and the worst vote wins. Readings hover around thresholds, so a level once reached
 * is held until its inputs have recovered past the threshold by a margin, and a lower level
 * must hold for a hold-down period before the cost falls: tasks size their work by the cost,
 * and a cost that flaps every poll would start and cancel them just as often.
 */
import type { SystemReadings } from '../drivers/system/system.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { Emitter } from './emitter.js';
import type { BackgroundWorkCostValue, EnergyUseLevel } from './enums.js';

/** The level at which an input makes the cost Medium and High, and how far it must recover to drop back. */
export interface WorkCostThreshold {
  medium: number;
  high: number;
  margin: number;
}

export interface WorkCostThresholds {
  /** MemAvailable as a percentage of MemTotal; lower is worse. */
  memAvailablePct: WorkCostThreshold;
  /** PSI memory "some" avg10, in percent of time stalled; higher is worse. */
  memPressureSome10: WorkCostThreshold;
  /** One-minute load average divided by the number of cores; higher is worse. */
  loadPerCore: WorkCostThreshold;
  /** SoC temperature in °C; higher is worse. The Pi firmware soft-throttles from 80 °C. */
  socTempC: WorkCostThreshold;
  /** Seconds a lower level must hold, continuously, before the cost falls to it. */
  holdDownSec: number;
}

export const defaultWorkCostThresholds: Readonly<WorkCostThresholds> = Object.freeze({
  memAvailablePct: Object.freeze({ medium: 25, high: 10, margin: 5 }),
  memPressureSome10: Object.freeze({ medium: 10, high: 40, margin: 5 }),
  loadPerCore: Object.freeze({ medium: 0.8, high: 1.5, margin: 0.2 }),
  socTempC: Object.freeze({ medium: 70, high: 80, margin: 3 }),
  holdDownSec: 10,
});

export interface WorkCostAssessment {
  value: BackgroundWorkCostValue;
  /** The inputs that set the level, as short phrases ("SoC 82.1 °C"); empty when Low. */
  causes: string[];
}

const RANK: Record<BackgroundWorkCostValue, number> = { Low: 0, Medium: 1, High: 2 };
const LEVELS: readonly BackgroundWorkCostValue[] = ['Low', 'Medium', 'High'];

/**
 * The level one input votes. Thresholds at or below the current level are relaxed by the
 * margin: having reached a level, an input keeps it until it recovers past threshold+margin.
 */
function vote(value: number, t: WorkCostThreshold, lowerIsWorse: boolean, current: number): number {
  const sign = lowerIsWorse ? -1 : 1;
  const reaches = (threshold: number, level: number) => {
    const relaxed = level <= current ? threshold - sign * t.margin : threshold;
    return sign * value >= sign * relaxed;
  };
  if (reaches(t.high, 2)) return 2;
  if (reaches(t.medium, 1)) return 1;
  return 0;
}

/**
 * Assess the cost of background work from one sample. With `current` (the level in force),
 * the thresholds for staying there are relaxed by the margins. The relaxation applies to every
 * input alike, since the level is one value for the whole device.
 */
export function assessWorkCost(
  readings: SystemReadings,
  thresholds: WorkCostThresholds = defaultWorkCostThresholds,
  current?: BackgroundWorkCostValue,
): WorkCostAssessment {
  const cur = current === undefined ? -1 : RANK[current];
  const votes: { level: number; cause: string }[] = [];

  if (readings.memTotalKb > 0) {
    const pct = (readings.memAvailableKb / readings.memTotalKb) * 100;
    votes.push({ level: vote(pct, thresholds.memAvailablePct, true, cur), cause: `MemAvailable ${Math.round(pct)}% of RAM` });
  }
  if (readings.memPressure) {
    const some = readings.memPressure.some10;
    votes.push({ level: vote(some, thresholds.memPressureSome10, false, cur), cause: `memory pressure ${some.toFixed(1)}% (PSI some avg10)` });
  }
  const perCore = readings.load1 / Math.max(1, readings.cores);
  votes.push({ level: vote(perCore, thresholds.loadPerCore, false, cur), cause: `load ${perCore.toFixed(2)} per core` });
  if (readings.socTempC !== undefined) {
    votes.push({ level: vote(readings.socTempC, thresholds.socTempC, false, cur), cause: `SoC ${readings.socTempC.toFixed(1)} °C` });
  }
  const f = readings.throttled;
  if (f) {
    // The firmware's own verdict needs no hysteresis: it already acts on temperature and voltage.
    if (f.underVoltage) votes.push({ level: 2, cause: 'under-voltage' });
    if (f.throttled) votes.push({ level: 2, cause: 'throttled by the firmware' });
    if (f.freqCapped) votes.push({ level: 1, cause: 'ARM frequency capped' });
    if (f.softTempLimit) votes.push({ level: 1, cause: 'soft temperature limit' });
  }

  const level = Math.max(0, ...votes.map((v) => v.level));
  return {
    value: LEVELS[level]!,
    causes: level === 0 ? [] : votes.filter((v) => v.level === level).map((v) => v.cause),
  };
}

export interface WorkCostChange {
  from: BackgroundWorkCostValue;
  to: BackgroundWorkCostValue;
  causes: string[];
}

/** The current BackgroundWorkCost, fed every sample: rises at once, falls after the hold-down. */
export class WorkCostMonitor {
  readonly events = new Emitter<{ change: [WorkCostChange] }>();
  readonly #thresholds: WorkCostThresholds;
  readonly #clock: Clock;
  #value: BackgroundWorkCostValue = 'Low';
  #causes: string[] = [];
  /** Since when every assessment has been below the current level. */
  #lowerSince: number | undefined;

  constructor(options: { thresholds?: Partial<WorkCostThresholds>; clock?: Clock } = {}) {
    this.#thresholds = { ...defaultWorkCostThresholds, ...options.thresholds };
    this.#clock = options.clock ?? systemClock;
  }

  get value(): BackgroundWorkCostValue {
    return this.#value;
  }

  get causes(): string[] {
    return [...this.#causes];
  }

  update(readings: SystemReadings): BackgroundWorkCostValue {
    const a = assessWorkCost(readings, this.#thresholds, this.#value);
    const now = this.#clock.now();
    if (RANK[a.value] > RANK[this.#value]) {
      this.#set(a);
    } else if (a.value === this.#value) {
      this.#lowerSince = undefined;
      this.#causes = a.causes;
    } else {
      this.#lowerSince ??= now;
      if (now - this.#lowerSince >= this.#thresholds.holdDownSec * 1000) this.#set(a);
    }
    return this.#value;
  }

  #set(a: WorkCostAssessment): void {
    const from = this.#value;
    this.#value = a.value;
    this.#causes = a.causes;
    this.#lowerSince = undefined;
    this.events.emit('change', { from, to: a.value, causes: [...a.causes] });
  }
}

/** A task's memory use against its budget, as the seed's EnergyUseLevel. */
export function energyUseLevel(usedBytes: number, budgetBytes: number): EnergyUseLevel {
  if (!(budgetBytes > 0)) return 'OverBudget';
  const share = usedBytes / budgetBytes;
  if (share < 0.5) return 'UnderHalf';
  if (share < 1) return 'OverHalf';
  return 'OverBudget';
}

const BUDGET_SCALE: Record<BackgroundWorkCostValue, number> = { Low: 1, Medium: 0.75, High: 0.5 };
/** Below this a worker thread cannot even load a small task bundle. */
const MIN_BUDGET_MB = 8;

/** A task's memory budget in MB, shrunk as background work gets more expensive; whole MB, at least 8. */
export function scaledBudgetMb(requestedMb: number, cost: BackgroundWorkCostValue): number {
  return Math.max(MIN_BUDGET_MB, Math.floor(requestedMb * BUDGET_SCALE[cost]));
}
