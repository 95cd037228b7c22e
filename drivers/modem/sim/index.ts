/**
 * The simulated cellular modem: an AT-speaking EC25 for tests, demos and machines without one.
 */
export { SimModem, type DeliverSmsOptions, type ModemConnection, type SimModemEvents, type SimModemOptions } from './modem.js';
export { openPtyModem, SOCAT_MISSING, type PtyModem } from './pty.js';
export { linkInMemory, SimPortStream, type MemoryLink } from './memory-link.js';
export { luhnCheckDigit, isValidImei, type ModemIdentity } from './identity.js';
export { parseTranscript, unescapeC, type TranscriptEntry } from './transcript.js';
export type { PinState, SimStatus } from './sim-card.js';
export type { Domain, Fun, ModemState, Operator, Registration, Settings } from './state.js';
export type { SlotStat, StoredMessage } from './storage.js';
export type { Chunking, ModemIo } from './wire.js';
export { DEFAULT_OPERATORS } from './options.js';
