import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InventoryError, parseInventory, selectHosts } from '../deploy/inventory/inventory.js';

const inventory = parseInventory(
  `lonely
[garden]
garden-1
garden-2
garden-3
[kitchen]
kitchen-1
kitchen-2
[south]
garden-3
kitchen-2
[house:children]
kitchen
[empty]
`,
  'hosts',
);

const pick = (pattern: string) => selectHosts(inventory, pattern).map((h) => h.name);

function refuses(pattern: string, code: string, message: RegExp): void {
  assert.throws(
    () => selectHosts(inventory, pattern),
    (err: unknown) => {
      assert.ok(err instanceof InventoryError);
      assert.equal(err.code, code);
      assert.match(err.message, message);
      return true;
    },
  );
}

test('a group name selects its hosts, a parent group those of its children', () => {
  assert.deepEqual(pick('garden'), ['garden-1', 'garden-2', 'garden-3']);
  assert.deepEqual(pick('house'), ['kitchen-1', 'kitchen-2']);
  assert.deepEqual(pick('ungrouped'), ['lonely']);
});

test('a host name selects that host; all and * select everyone', () => {
  assert.deepEqual(pick('kitchen-2'), ['kitchen-2']);
  assert.deepEqual(pick('all'), ['lonely', 'garden-1', 'garden-2', 'garden-3', 'kitchen-1', 'kitchen-2']);
  assert.deepEqual(pick('*'), pick('all'));
});

test('globs match group names and host names', () => {
  assert.deepEqual(pick('garden-*'), ['garden-1', 'garden-2', 'garden-3']);
  assert.deepEqual(pick('garden*'), ['garden-1', 'garden-2', 'garden-3']);
  assert.deepEqual(pick('*-2'), ['garden-2', 'kitchen-2']);
  assert.deepEqual(pick('kitchen-?'), ['kitchen-1', 'kitchen-2']);
  assert.deepEqual(pick('garden-[13]'), ['garden-1', 'garden-3']);
  assert.deepEqual(pick('garden-[!13]'), ['garden-2']);
  assert.deepEqual(pick('ho*'), ['kitchen-1', 'kitchen-2'], 'house matches as a group');
});

test('comma (or colon) separated terms are a union, in inventory order', () => {
  assert.deepEqual(pick('kitchen-2,garden-1'), ['garden-1', 'kitchen-2']);
  assert.deepEqual(pick('kitchen:lonely'), ['lonely', 'kitchen-1', 'kitchen-2']);
  assert.deepEqual(pick(' garden-1 , garden-1 ,'), ['garden-1'], 'blanks and repeats change nothing');
});

test('!term excludes and &term intersects, wherever they stand in the pattern', () => {
  assert.deepEqual(pick('garden,!garden-3'), ['garden-1', 'garden-2']);
  assert.deepEqual(pick('!garden-3,garden'), ['garden-1', 'garden-2']);
  assert.deepEqual(pick('garden:!south'), ['garden-1', 'garden-2']);
  assert.deepEqual(pick('garden,kitchen,&south'), ['garden-3', 'kitchen-2']);
  assert.deepEqual(pick('!garden*'), ['lonely', 'kitchen-1', 'kitchen-2'], 'only exclusions: from all hosts');
  assert.deepEqual(pick('&south'), ['garden-3', 'kitchen-2']);
});

test('~ starts a regular expression, anchored at the start as in Ansible', () => {
  assert.deepEqual(pick('~(garden|kitchen)-[12]$'), ['garden-1', 'garden-2', 'kitchen-1', 'kitchen-2']);
  assert.deepEqual(pick('~kitchen'), ['kitchen-1', 'kitchen-2']);
  refuses('~itchen', 'LIMIT_UNMATCHED', /"~itchen" matches no group or host/);
  refuses('~(', 'LIMIT_INVALID', /"~\(" is not a valid regular expression/);
});

test('a term that matches nothing is an error listing the groups', () => {
  refuses('gardn', 'LIMIT_UNMATCHED', /^--limit "gardn": "gardn" matches no group or host; the inventory's groups are: empty, garden, house, kitchen, south$/);
  refuses('garden,!garden-9', 'LIMIT_UNMATCHED', /"garden-9" matches no group or host/);
  refuses('garden,&kitchn', 'LIMIT_UNMATCHED', /"kitchn" matches no group/);
  refuses('empty', 'LIMIT_UNMATCHED', /"empty" matches no group or host/);
});

test('a pattern that leaves no host, or has no term, is an error', () => {
  refuses('garden,!garden', 'LIMIT_UNMATCHED', /together its terms leave no host; the inventory's groups are: /);
  refuses('garden,&kitchen', 'LIMIT_UNMATCHED', /leave no host/);
  refuses(' , ', 'LIMIT_INVALID', /has no host or group in it/);
  refuses('', 'LIMIT_INVALID', /has no host or group in it/);
});

test('the limit option of parseInventory selects, keeping groups and variables', () => {
  const inv = parseInventory('[garden]\npi1 a=1\npi2\n[garden:vars]\nb=2\n', 'hosts', { limit: 'pi1' });
  assert.deepEqual(inv.hosts, [{ name: 'pi1', host: 'pi1', groups: ['garden'], vars: { b: 2, a: 1 } }]);
  assert.deepEqual(inv.groups, ['all', 'garden', 'ungrouped']);
});
