// What the client side of a deploy adds to a device's refusal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { permissionHint } from '../deploy/deploy-host.js';

describe('a deploy refused for permissions on the device', () => {
  it('says how to run vigil as the service user, unless the command already does', () => {
    const target = { name: 'pi@garden', ssh: { user: 'pi', host: 'garden', port: 22 }, vigilCommand: 'vigil' };
    assert.match(permissionHint("EACCES: permission denied, open '/etc/vigil/config.json'", target), /--vigil-command 'sudo -n -u vigil vigil'/);
    assert.match(permissionHint('permission denied on /var/lib/vigil/vigil.sock: the control socket belongs to the runtime\'s user', target), /deploy as root/);
    assert.equal(permissionHint('the runtime is not healthy with it: registrations not armed', target), '');
    assert.equal(permissionHint('EACCES: permission denied', { ...target, vigilCommand: 'sudo -n -u vigil vigil' }), '');
  });
});
