/**
 * The sensor types vigil has drivers for, as config names them. Kept apart from the drivers
 * so validating a config does not load every chip's code.
 */
export const SENSOR_TYPES = ['bme280', 'bmp280', 'sht3x', 'bh1750', 'mpu6050', 'qmc5883l', 'ads1115', 'tmp102', 'mcp9808'] as const;
export type SensorTypeName = (typeof SENSOR_TYPES)[number];
