import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InventoryError, loadInventory, parseInventory } from '../deploy/inventory/inventory.js';
import { VigilError } from '../runtime/errors.js';

/** The parse must fail with an InventoryError of `code` at `line`, its message naming both and matching `pattern`. */
function fails(file: string, text: string, line: number | undefined, pattern: RegExp, code = 'INVENTORY_INVALID'): InventoryError {
  let caught: unknown;
  try {
    parseInventory(text, file);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof InventoryError, `expected an InventoryError, got ${String(caught)}`);
  assert.ok(caught instanceof VigilError);
  assert.equal(caught.code, code);
  assert.equal(caught.line, line, caught.message);
  assert.equal(caught.file, file);
  assert.ok(caught.message.startsWith(line === undefined ? `${file}: ` : `${file}:${line}: `), caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

test('INI: an unknown section kind names it and the kinds there are', () => {
  fails('hosts', '[garden]\npi1\n\n[garden:kids]\nx\n', 4, /\[garden:kids\] has an unknown section kind "kids": expected \[garden\], \[garden:vars\] or \[garden:children\]/);
});

test('INI: a header with a space in it is not a section', () => {
  fails('hosts', 'pi1\n[my garden]\n', 2, /\[my garden\] is not a section header/);
});

test('INI: a child group that is never declared is an error at the line naming it', () => {
  fails('hosts', '[garden]\npi1\n[pis:children]\ngarden\nkitchn\n', 5, /\[pis:children\] names the group "kitchn", which is never declared: add a \[kitchn\] section/);
  // Declared later in the file is fine, as Ansible allows.
  assert.equal(parseInventory('[pis:children]\ngarden\n[garden]\npi1\n', 'hosts').hosts[0]!.groups.join(), 'garden,pis');
});

test('INI: [group:vars] for a group that does not exist is an error', () => {
  fails('hosts', '[garden]\npi1\n[gardn:vars]\nx=1\n', 3, /\[gardn:vars\] names the group "gardn", which is never declared/);
});

test('INI: bad ranges, each with its reason', () => {
  fails('hosts', '[g]\nok1\npi[a:9]\n', 3, /bad host range in "pi\[a:9\]": \[a:9\] is neither numbers/);
  fails('hosts', '[g]\npi[9:1]\n', 2, /\[9:1\] begins after it ends/);
  fails('hosts', '[g]\npi[f:a]\n', 2, /\[f:a\] begins after it ends/);
  fails('hosts', '[g]\npi[01:100]\n', 2, /pads "01" to 2 digits but "100" has 3/);
  fails('hosts', '[g]\npi[1:5:0]\n', 2, /the step "0" is not a whole number of 1 or more/);
  fails('hosts', '[g]\npi[1:5\n', 2, /"\[" without its "\]"/);
  fails('hosts', '[g]\npi[3]\n', 2, /\[3\] is not \[BEGIN:END\] or \[BEGIN:END:STEP\]/);
  fails('hosts', '[g]\npi[1:]\n', 2, /\[1:\] has no end/);
  fails('hosts', '[g]\npi[1:100000]\n', 2, /more than 10000 hosts/);
});

test('ansible_port that is not a port number is an error where it was written', () => {
  fails('hosts', '[g]\npi1 ansible_port=twenty\n', 2, /ansible_port of host "pi1" is "twenty": expected a port number from 1 to 65535/);
  fails('hosts', '[g]\npi1\npi2\n[g:vars]\nansible_user=pi\nansible_port=22x\n', 6, /ansible_port of host "pi1" is "22x"/);
  fails('hosts', '[g]\npi1 ansible_port=70000\n', 2, /is 70000/);
  fails('hosts.yml', 'all:\n  hosts:\n    pi1:\n      ansible_port: [22]\n', 4, /ansible_port of host "pi1" is \[22\]/);
  fails('hosts', '[g]\npi1:ssh\n', 2, /host "pi1:ssh" has a bad port "ssh": expected NAME:PORT/);
  fails('hosts', '[g]\npi1:\n', 2, /has a bad port ""/);
});

test('INI: host lines with a word that is not key=value, an open quote, a bad vars or children line', () => {
  fails('hosts', '[g]\npi1 user=pi admin\n', 2, /"admin" after host "pi1" is not a variable: expected KEY=VALUE/);
  fails('hosts', '[g]\npi1 msg="hello\n', 2, /unterminated double quote from column 9/);
  fails('hosts', '[g]\npi1\n[g:vars]\njust words\n', 4, /"just words" in \[g:vars\] is not a variable/);
  fails('hosts', '[g]\npi1\n[p:children]\ng h\n', 4, /"g h" in \[p:children\] is not a group name/);
  fails('hosts', '[g]\npi1\nansible_user=pi\n', 3, /"ansible_user=pi" stands where a host name should: a variable for the whole group goes under \[g:vars\]/);
  fails('hosts', '[g]\npi1 ansible_user=\n[h]\npi2 ansible_user=""\n', 2, /ansible_user of host "pi1" is "": expected a non-empty string/);
});

test('children that contain each other are a cycle, reported with the path', () => {
  fails('hosts', '[a:children]\nb\n[b:children]\nc\n[c:children]\na\n[c]\npi1\n', 6, /groups contain each other: a → b → c → a/);
  fails('hosts', '[a:children]\na\n', 2, /lists the group itself/);
  fails('hosts.yml', 'a:\n  children:\n    b:\n      hosts: { pi1: }\nb:\n  children:\n    a:\n', 7, /groups contain each other: (a → b → a|b → a → b)/);
});

test('YAML: a host list instead of a mapping, a host that is a list, a misspelt key, bad syntax', () => {
  fails('hosts.yml', 'garden:\n  hosts:\n    - pi1\n    - pi2\n', 3, /hosts of group "garden" is a list: expected a mapping, each host a key ending in ":" \(write "- pi1" as "pi1:"\)/);
  fails('hosts.yml', 'garden:\n  hosts:\n    pi1:\n      - a\n', 4, /host "pi1" in group "garden" is a list: expected its variables as a mapping/);
  fails('hosts.yml', 'garden:\n  hosts:\n    pi1: yes please\n', 3, /host "pi1" in group "garden" is the value "yes please"/);
  fails('hosts.yml', 'garden:\n  host:\n    pi1:\n', 2, /group "garden" has "host:": expected hosts:, vars: or children:/);
  fails('hosts.yml', 'garden:\n  children:\n    - south\n', 3, /children of group "garden" is a list: expected a mapping of group names \(write "- garden" as "garden:"\)/);
  fails('hosts.yml', 'garden:\n  vars: [1, 2]\n', 2, /vars of group "garden" is a list/);
  fails('hosts.yml', '- pi1\n- pi2\n', 1, /expected a mapping of group names at the top/);
  fails('hosts.yml', 'garden:\n  hosts: { pi1: }\n  vars: a: b\n', 3, /not valid YAML: Nested mappings are not allowed in compact mappings$/);
  fails('hosts.yml', 'garden:\n  hosts:\n    pi1:\n    pi1:\n', 3, /not valid YAML: .*unique/i);
});

test('an inventory without hosts is an error of its own', () => {
  fails('hosts', '# nothing yet\n\n', undefined, /the inventory has no hosts/, 'INVENTORY_EMPTY');
  fails('hosts', '[garden]\n[garden:vars]\nx=1\n', undefined, /no hosts/, 'INVENTORY_EMPTY');
  fails('hosts.yml', '', undefined, /no hosts/, 'INVENTORY_EMPTY');
  fails('hosts.yml', 'all:\n  children:\n    garden:\n', undefined, /no hosts/, 'INVENTORY_EMPTY');
});

test('loadInventory: a missing file, a directory, and the format told by extension or content', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-inventory-'));
  try {
    assert.throws(() => loadInventory(join(dir, 'nope.ini')), (err: InventoryError) => err.code === 'INVENTORY_UNREADABLE' && /nope\.ini: it does not exist/.test(err.message));
    assert.throws(() => loadInventory(dir), (err: InventoryError) => err.code === 'INVENTORY_UNREADABLE' && /is a directory/.test(err.message));

    writeFileSync(join(dir, 'hosts'), '---\nall:\n  hosts:\n    pi1:\n      ansible_port: 2201\n');
    assert.equal(loadInventory(join(dir, 'hosts')).hosts[0]!.port, 2201, 'YAML content in a file without extension');
    writeFileSync(join(dir, 'yaml-no-marker'), '# fleet\ngarden:\n  hosts:\n    pi1:\n');
    assert.deepEqual(loadInventory(join(dir, 'yaml-no-marker')).hosts[0]!.groups, ['garden']);
    writeFileSync(join(dir, 'ini-hosts'), 'pi0:2200\n[garden]\npi1\n');
    assert.deepEqual(loadInventory(join(dir, 'ini-hosts')).hosts.map((h) => h.name), ['pi0', 'pi1']);
    writeFileSync(join(dir, 'fleet.yaml'), 'garden:\n  hosts:\n    pi1:\n    pi2:\n');
    assert.deepEqual(loadInventory(join(dir, 'fleet.yaml'), { limit: 'pi2' }).hosts.map((h) => h.name), ['pi2']);
    // An INI file given the YAML extension fails as YAML, with a line.
    writeFileSync(join(dir, 'wrong.yml'), '[garden]\npi1 a=1\n');
    assert.throws(() => loadInventory(join(dir, 'wrong.yml')), (err: InventoryError) => err.code === 'INVENTORY_INVALID' && err.line !== undefined);
    writeFileSync(join(dir, 'dashes.ini'), '---\n');
    assert.throws(() => loadInventory(join(dir, 'dashes.ini')), /looks like the start of a YAML document/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
