/**
 * An I2C bus as sensor drivers use it. SMBus transfers are what every adapter does (the kernel's
 * i2c-stub included); raw transfers are what register-less chips need (SHT3x, BH1750). Both the
 * real binding (i2c-bus on /dev/i2c-N) and the simulated bus implement this, so a driver runs
 * unchanged on either.
 *
 * Failures are errno-style errors (`code` "ENXIO", "EREMOTEIO", "EIO", "ETIMEDOUT"), as the kernel
 * reports them: an absent or silent chip NACKs its address.
 */
export interface I2cBus {
  /** "/dev/i2c-1", or "sim" for the simulated bus. */
  readonly name: string;
  /** SMBus read byte: write the register, repeated start, read one byte. */
  readByte(address: number, register: number): Promise<number>;
  /** SMBus write byte: the register, then the value. */
  writeByte(address: number, register: number, value: number): Promise<void>;
  /** SMBus read word: two bytes, the first received is the low byte (SMBus order). */
  readWord(address: number, register: number): Promise<number>;
  /** SMBus write word: the low byte is sent first (SMBus order). */
  writeWord(address: number, register: number, value: number): Promise<void>;
  /** I2C block read from a register (auto-increment), at most 32 bytes. */
  readBlock(address: number, register: number, length: number): Promise<Buffer>;
  /** I2C block write to a register, at most 32 bytes. */
  writeBlock(address: number, register: number, data: Buffer): Promise<void>;
  /** SMBus send byte: one byte, no register (a command). */
  sendByte(address: number, value: number): Promise<void>;
  /** Raw write transaction. */
  write(address: number, data: Buffer): Promise<void>;
  /** Raw read transaction. */
  read(address: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** An errno-style bus error, shaped like the ones Node and i2c-bus raise. */
export function busError(code: 'ENXIO' | 'EREMOTEIO' | 'EIO' | 'ETIMEDOUT' | 'EINVAL', message: string): NodeJS.ErrnoException {
  const errno: Record<string, number> = { ENXIO: -6, EREMOTEIO: -121, EIO: -5, ETIMEDOUT: -110, EINVAL: -22 };
  return Object.assign(new Error(`${code}: ${message}`), { code, errno: errno[code] });
}

/** Bus faults that mean "the chip is not answering" (and may come back), not a programming error. */
export function isTransientBusError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENXIO' || code === 'EREMOTEIO' || code === 'EIO' || code === 'ETIMEDOUT' || code === 'EAGAIN';
}

/**
 * SMBus words travel low byte first; chips with 16-bit registers (TMP102, MCP9808, ADS1115) send
 * the high byte first. Swapping a word read with readWord gives the chip's register, and back.
 */
export function swap16(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

/** A register, address or ID as datasheets print it: "0x76", "0x8583" with `digits` 4. */
export function hex(n: number, digits = 2): string {
  return `0x${n.toString(16).padStart(digits, '0')}`;
}
