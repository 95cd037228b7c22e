/** Percentiles over samples, in the units given. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summary(samples: number[], digits = 3) {
  const r = (n: number) => Number(n.toFixed(digits));
  return { n: samples.length, p50: r(percentile(samples, 50)), p90: r(percentile(samples, 90)), p99: r(percentile(samples, 99)), max: r(Math.max(...samples)) };
}

/** Milliseconds on the monotonic clock, comparable across worker threads of one process. */
export function nowMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1000 + ns / 1e6;
}
