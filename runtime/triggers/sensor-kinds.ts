/**
 * The seed's sensor threshold kinds and the channels that serve them. A per-axis kind fires
 * when any axis with a threshold above 0 has moved by at least it (an axis at 0 is ignored, as
 * in the seed); LightSensor fires on the absolute or the percentage change, whichever is met.
 * Temperature, Humidity and Analog are vigil's own, for the sensors a Pi commonly carries.
 */
export interface KindField {
  /** Field of the threshold object ("xAxisInGForce"). */
  field: string;
  channel: string;
  /** "percent": the threshold is a percentage of the last reported value. */
  relative?: boolean;
  /** The value wraps at 360 (compass heading): 359° → 1° is a 2° move. */
  circular?: boolean;
}

export interface ThresholdKind {
  fields: KindField[];
  /** For level crossing on a per-axis kind: axis name → channel. */
  axes?: Record<string, string>;
}

const axes = (prefix: string) => ({ x: `${prefix}X`, y: `${prefix}Y`, z: `${prefix}Z` });

export const THRESHOLD_KINDS: Record<string, ThresholdKind> = {
  Accelerometer: {
    fields: [
      { field: 'xAxisInGForce', channel: 'accelX' },
      { field: 'yAxisInGForce', channel: 'accelY' },
      { field: 'zAxisInGForce', channel: 'accelZ' },
    ],
    axes: axes('accel'),
  },
  Gyrometer: {
    fields: [
      { field: 'xAxisInDegreesPerSecond', channel: 'gyroX' },
      { field: 'yAxisInDegreesPerSecond', channel: 'gyroY' },
      { field: 'zAxisInDegreesPerSecond', channel: 'gyroZ' },
    ],
    axes: axes('gyro'),
  },
  Magnetometer: {
    fields: [
      { field: 'xAxisMicroteslas', channel: 'magX' },
      { field: 'yAxisMicroteslas', channel: 'magY' },
      { field: 'zAxisMicroteslas', channel: 'magZ' },
    ],
    axes: axes('mag'),
  },
  Barometer: { fields: [{ field: 'hectopascals', channel: 'pressure' }] },
  Compass: { fields: [{ field: 'degrees', channel: 'heading', circular: true }] },
  LightSensor: {
    fields: [
      { field: 'absoluteLux', channel: 'illuminance' },
      { field: 'luxPercentage', channel: 'illuminance', relative: true },
    ],
  },
  Temperature: { fields: [{ field: 'degreesCelsius', channel: 'temperature' }] },
  Humidity: { fields: [{ field: 'relativeHumidity', channel: 'humidity' }] },
  Analog: { fields: [{ field: 'volts', channel: 'ain0' }] },
};

/** How far `to` is from `from` for one field. */
export function moved(field: KindField, from: number, to: number): number {
  if (field.circular) {
    const d = Math.abs(to - from) % 360;
    return d > 180 ? 360 - d : d;
  }
  const d = Math.abs(to - from);
  if (!field.relative) return d;
  // A percentage of nothing: any change from zero is a full move.
  return from === 0 ? (d === 0 ? 0 : Number.POSITIVE_INFINITY) : (d / Math.abs(from)) * 100;
}
