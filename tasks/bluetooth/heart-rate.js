// Heart Rate Measurement (0x2A37): flags, then the rate as one byte or two (flag bit 0).
export default function run(instance) {
  const { value, device } = instance.triggerDetails;
  const bytes = Buffer.from(value, 'hex');
  const bpm = bytes[0] & 1 ? bytes.readUInt16LE(1) : bytes[1];
  instance.log.info(`heart rate ${bpm} bpm from ${device}`);
}
