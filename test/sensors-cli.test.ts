/**
 * `vigil sensors` as a user runs it: the simulated board, a config that replays an i2cdump
 * taken on a real board, JSON output, and a sensor that cannot be read (the others still are,
 * and the exit code says something failed).
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot, vigil } from './helpers/cli.js';
import { tempDir } from './helpers/harness.js';

describe('vigil sensors', () => {
  const dir = tempDir('vigil-sensors-cli-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every sensor of the default simulated board, with units', async () => {
    const r = await vigil(['sensors']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^air\s+bme280\s+0x76\s+temperature 22\.5 °C, pressure 1008\.\d+ hPa, humidity 4[78](\.\d+)? %RH$/m);
    assert.match(r.stdout, /^light\s+bh1750\s+0x23\s+illuminance 320 lx$/m);
    assert.match(r.stdout, /^imu\s+mpu6050\s+0x68\s+accelX 0 g, accelY 0 g, accelZ 1 g, temperature [\d.]+ °C, gyroX 0 °\/s/m);
  });

  it('replays a real chip from an i2cdump: the Bosch example reads 25.08 °C and 1006.53 hPa', async () => {
    const r = await vigil(['sensors', '--config', join(repoRoot, 'config', 'replay.example.json'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [air] = JSON.parse(r.stdout) as { name: string; ok: boolean; bus: string; values: Record<string, { value: number; unit: string }> }[];
    assert.equal(air!.name, 'air');
    assert.equal(air!.bus, 'sim');
    assert.equal(air!.values.temperature!.value, 25.08);
    assert.equal(Math.floor(air!.values.pressure!.value * 100), 100653);
    assert.deepEqual(
      Object.values(air!.values).map((v) => v.unit),
      ['°C', 'hPa', '%RH'],
    );
  });

  it('a sensor that is not the configured chip fails in its row, names what was found, and the exit code is 1', async () => {
    const config = join(dir, 'wrong.json');
    const dump = join(repoRoot, 'test', 'fixtures', 'i2cdump', 'bme280-0x76.txt');
    writeFileSync(
      config,
      JSON.stringify({
        stateDir: 'state',
        bundlesDir: 'bundles',
        drivers: { system: { binding: 'sim' }, i2c: { binding: 'sim', sensors: { baro: { type: 'bmp280', address: '0x76', dump }, lux: { type: 'bh1750' } } } },
      }),
    );
    const r = await vigil(['sensors', '--config', config]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^baro\s+bmp280\s+0x76\s+FAILED: sensor baro \(bmp280 at 0x76 on sim\): found chip id 0x60 \(BME280\).*configure type "bme280"/m);
    assert.match(r.stdout, /^lux\s+bh1750\s+0x23\s+illuminance 0 lx$/m, 'the other sensor is still read');
  });

  it('a 16-bit register chip replays a word dump (i2cdump … w): the TMP102 reads what it read on the board', async () => {
    const config = join(dir, 'tmp102.json');
    const dump = join(repoRoot, 'test', 'fixtures', 'i2cdump', 'tmp102-0x48-words.txt');
    writeFileSync(config, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' }, i2c: { binding: 'sim', sensors: { t: { type: 'tmp102', address: '0x48', dump } } } } }));
    const r = await vigil(['sensors', '--config', config, '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const [t] = JSON.parse(r.stdout) as { values: Record<string, { value: number }> }[];
    // The dump's word 0x9019 is register 0x1990 on the wire: 0x199 × 0.0625 °C.
    assert.equal(t!.values.temperature!.value, 25.5625);
  });

  it('a byte dump for a 16-bit register chip is refused, saying which dump it needs', async () => {
    const config = join(dir, 'tmp102-bytes.json');
    const dump = join(repoRoot, 'test', 'fixtures', 'i2cdump', 'bme280-0x76.txt');
    writeFileSync(config, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' }, i2c: { binding: 'sim', sensors: { t: { type: 'tmp102', address: '0x48', dump } } } } }));
    const r = await vigil(['sensors', '--config', config]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /drivers\.i2c\.sensors\.t\.dump: .*bme280-0x76\.txt is a byte dump, but a tmp102 needs a word dump \(i2cdump -y BUS ADDR w\)/);
  });

  it('a config without sensors says so', async () => {
    const config = join(dir, 'none.json');
    writeFileSync(config, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' } } }));
    const r = await vigil(['sensors', '--config', config]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /no I2C sensors are configured in .*none\.json \(drivers\.i2c\.sensors\)/);
  });

  it('--help tells the truth', async () => {
    const r = await vigil(['sensors', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--config <file>', '--json', '--sim']) assert.ok(r.stdout.includes(flag), `--help lists ${flag}`);
  });
});
