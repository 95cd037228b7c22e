/** What the I2C chip tests share: the sensor corpus (read in place), real and simulated time. */
import { readFileSync } from 'node:fs';
import { SimI2cBus } from '../../drivers/i2c/sim/bus.js';

/** Vectors from other projects' tests and the datasheets: see the corpus README. */
export const sensorCorpus: Record<string, any> = JSON.parse(readFileSync(new URL('../../../shared/corpora/sensors_i2c.json', import.meta.url), 'utf8'));

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A bus whose clock moves only when a driver sleeps: conversion timing checked without waiting. */
export function fakeClock() {
  const clock = { t: 1000, slept: 0 };
  const bus = new SimI2cBus({ now: () => clock.t });
  const sleep = async (ms: number) => {
    clock.t += ms;
    clock.slept += ms;
  };
  return { clock, bus, sleep };
}
