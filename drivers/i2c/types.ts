/**
 * Sensor type name → its driver, imported when a config uses it: a device with one BME280
 * loads one chip module.
 */
import type { SensorType } from './sensor.js';
import type { SensorTypeName } from './type-names.js';

const loaders: Record<SensorTypeName, () => Promise<SensorType>> = {
  bme280: async () => (await import('./chips/bme280.js')).bme280Type,
  bmp280: async () => (await import('./chips/bme280.js')).bmp280Type,
  sht3x: async () => (await import('./chips/sht3x.js')).sht3xType,
  bh1750: async () => (await import('./chips/bh1750.js')).bh1750Type,
  mpu6050: async () => (await import('./chips/mpu6050.js')).mpu6050Type,
  qmc5883l: async () => (await import('./chips/qmc5883l.js')).qmc5883lType,
  ads1115: async () => (await import('./chips/ads1115.js')).ads1115Type,
  tmp102: async () => (await import('./chips/tmp102.js')).tmp102Type,
  mcp9808: async () => (await import('./chips/mcp9808.js')).mcp9808Type,
};

export function loadSensorType(name: SensorTypeName): Promise<SensorType> {
  return loaders[name]();
}
