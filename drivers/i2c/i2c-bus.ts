/**
 * The real I2C binding, on i2c-bus (/dev/i2c-N ioctls). Imported on open, so a simulated board
 * never loads the native addon; a missing bus or library is a DriverError naming the device.
 * i2c-bus's SMBus calls map one to one onto the interface; block transfers copy into fresh
 * Buffers because the library fills the buffer it is given.
 */
import { DriverError, errorMessage } from '../../runtime/errors.js';
import type { I2cBus } from './bus.js';

interface PromisifiedBus {
  readByte(addr: number, cmd: number): Promise<number>;
  writeByte(addr: number, cmd: number, byte: number): Promise<void>;
  readWord(addr: number, cmd: number): Promise<number>;
  writeWord(addr: number, cmd: number, word: number): Promise<void>;
  readI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number }>;
  sendByte(addr: number, byte: number): Promise<void>;
  i2cRead(addr: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  i2cWrite(addr: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

/**
 * /dev/i2c-N opened on first use and again after it failed to open: a bus that appears later
 * (i2c-dev loaded, an overlay applied) is picked up without a restart, and a device without
 * I2C costs one DriverError per sensor outage, not a runtime that will not start.
 */
export function lazyI2cBus(busNumber: number): I2cBus {
  let opened: Promise<I2cBus> | undefined;
  const bus = (): Promise<I2cBus> => {
    opened ??= openI2cBus(busNumber).catch((err: unknown) => {
      opened = undefined;
      throw err;
    });
    return opened;
  };
  return {
    name: `/dev/i2c-${busNumber}`,
    readByte: async (a, r) => (await bus()).readByte(a, r),
    writeByte: async (a, r, v) => (await bus()).writeByte(a, r, v),
    readWord: async (a, r) => (await bus()).readWord(a, r),
    writeWord: async (a, r, v) => (await bus()).writeWord(a, r, v),
    readBlock: async (a, r, n) => (await bus()).readBlock(a, r, n),
    writeBlock: async (a, r, d) => (await bus()).writeBlock(a, r, d),
    sendByte: async (a, v) => (await bus()).sendByte(a, v),
    write: async (a, d) => (await bus()).write(a, d),
    read: async (a, n) => (await bus()).read(a, n),
    close: async () => {
      const b = opened;
      opened = undefined;
      if (b) await (await b.catch(() => undefined))?.close();
    },
  };
}

export async function openI2cBus(busNumber: number): Promise<I2cBus> {
  const device = `/dev/i2c-${busNumber}`;
  let lib: { openPromisified(bus: number): Promise<PromisifiedBus> };
  try {
    const mod = (await import('i2c-bus')) as unknown as typeof lib & { default?: typeof lib };
    lib = typeof mod.openPromisified === 'function' ? mod : mod.default!;
  } catch (err) {
    throw new DriverError('i2c', `cannot load the i2c-bus library for ${device} (${errorMessage(err)}): run npm install on the device`, { cause: err, code: 'I2C_NO_LIBRARY' });
  }
  let bus: PromisifiedBus;
  try {
    bus = await lib.openPromisified(busNumber);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? 'no such bus: enable I2C (dtparam=i2c_arm=on in config.txt) and load i2c-dev'
        : code === 'EACCES'
          ? 'permission denied: run as a member of the i2c group'
          : errorMessage(err);
    throw new DriverError('i2c', `cannot open ${device}: ${hint}`, { cause: err, code: 'I2C_OPEN_FAILED' });
  }
  return new LinuxI2cBus(device, bus);
}

class LinuxI2cBus implements I2cBus {
  constructor(
    readonly name: string,
    readonly bus: PromisifiedBus,
  ) {}

  readByte(address: number, register: number): Promise<number> {
    return this.bus.readByte(address, register);
  }

  writeByte(address: number, register: number, value: number): Promise<void> {
    return this.bus.writeByte(address, register, value);
  }

  readWord(address: number, register: number): Promise<number> {
    return this.bus.readWord(address, register);
  }

  writeWord(address: number, register: number, value: number): Promise<void> {
    return this.bus.writeWord(address, register, value);
  }

  async readBlock(address: number, register: number, length: number): Promise<Buffer> {
    const { bytesRead, buffer } = await this.bus.readI2cBlock(address, register, length, Buffer.alloc(length));
    if (bytesRead !== length) throw Object.assign(new Error(`EIO: short block read from 0x${address.toString(16)}: ${bytesRead} of ${length} bytes`), { code: 'EIO' });
    return buffer;
  }

  async writeBlock(address: number, register: number, data: Buffer): Promise<void> {
    await this.bus.writeI2cBlock(address, register, data.length, data);
  }

  sendByte(address: number, value: number): Promise<void> {
    return this.bus.sendByte(address, value);
  }

  async write(address: number, data: Buffer): Promise<void> {
    await this.bus.i2cWrite(address, data.length, data);
  }

  async read(address: number, length: number): Promise<Buffer> {
    const { bytesRead, buffer } = await this.bus.i2cRead(address, length, Buffer.alloc(length));
    if (bytesRead !== length) throw Object.assign(new Error(`EIO: short read from 0x${address.toString(16)}: ${bytesRead} of ${length} bytes`), { code: 'EIO' });
    return buffer;
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}
