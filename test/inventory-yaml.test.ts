import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { parseInventory, type Inventory, type InventoryHost } from '../deploy/inventory/inventory.js';

const yaml = (text: string): Inventory => parseInventory(text, 'hosts.yml');
const host = (inv: Inventory, name: string): InventoryHost => {
  const found = inv.hosts.find((h) => h.name === name);
  assert.ok(found, `host ${name} in ${inv.hosts.map((h) => h.name).join(', ')}`);
  return found;
};
const names = (inv: Inventory) => inv.hosts.map((h) => h.name);

test('the basic example, with top-level groups', () => {
  const inv = yaml(`ungrouped:
  hosts:
    mail.example.com:
webservers:
  hosts:
    foo.example.com:
    bar.example.com:
dbservers:
  hosts:
    one.example.com:
    two.example.com:
    three.example.com:
`);
  assert.deepEqual(names(inv), ['mail.example.com', 'foo.example.com', 'bar.example.com', 'one.example.com', 'two.example.com', 'three.example.com']);
  assert.deepEqual(host(inv, 'mail.example.com').groups, []);
  assert.deepEqual(host(inv, 'one.example.com').groups, ['dbservers']);
});

test('the all: form, hosts under all and under children, and what, where and when groups sharing hosts', () => {
  const inv = yaml(`all:
  hosts:
    mail.example.com:
  children:
    webservers:
      hosts:
        foo.example.com:
        bar.example.com:
    dbservers:
      hosts:
        one.example.com:
        two.example.com:
    east:
      hosts:
        foo.example.com:
        one.example.com:
    prod:
      children:
        east:
`);
  assert.deepEqual(names(inv), ['mail.example.com', 'foo.example.com', 'bar.example.com', 'one.example.com', 'two.example.com']);
  assert.deepEqual(host(inv, 'foo.example.com').groups, ['east', 'prod', 'webservers']);
  assert.deepEqual(host(inv, 'one.example.com').groups, ['dbservers', 'east', 'prod']);
  assert.deepEqual(host(inv, 'mail.example.com').groups, []);
});

test('nested children with vars, and groups that stay empty (the docs usa example)', () => {
  const inv = yaml(`usa:
  children:
    southeast:
      children:
        atlanta:
          hosts:
            host1:
            host2:
        raleigh:
          hosts:
            host2:
            host3:
      vars:
        some_server: foo.southeast.example.com
        halon_system_timeout: 30
        self_destruct_countdown: 60
        escape_pods: 2
    northeast:
    northwest:
    southwest:
`);
  assert.deepEqual(names(inv), ['host1', 'host2', 'host3']);
  assert.deepEqual(host(inv, 'host2').groups, ['atlanta', 'raleigh', 'southeast', 'usa']);
  assert.equal(host(inv, 'host3').vars.halon_system_timeout, 30);
  assert.ok(inv.groups.includes('northeast'));
});

test('host variables keep their YAML types, connection settings are read from them', () => {
  const inv = yaml(`all:
  vars:
    ansible_user: pi
    ansible_ssh_private_key_file: ~/.ssh/garden
  hosts:
    jumper:
      ansible_port: 5555
      ansible_host: 192.0.2.50
      version: "1.10"
      tags: [a, b]
      nested: { k: 1 }
    badwolf.example.com:5309:
    plain:
      ansible_port: "2222"
      ansible_user: admin
`);
  const jumper = host(inv, 'jumper');
  assert.equal(jumper.host, '192.0.2.50');
  assert.equal(jumper.port, 5555);
  assert.equal(jumper.user, 'pi');
  assert.equal(jumper.identity, `${homedir()}/.ssh/garden`);
  assert.equal(jumper.vars.version, '1.10');
  assert.deepEqual(jumper.vars.tags, ['a', 'b']);
  assert.deepEqual(jumper.vars.nested, { k: 1 });
  assert.equal(host(inv, 'badwolf.example.com').port, 5309);
  assert.equal(host(inv, 'plain').port, 2222, 'a port written as a string of digits is a port');
  assert.equal(host(inv, 'plain').user, 'admin');
});

test('ranges in YAML host keys expand as in INI', () => {
  const inv = yaml(`webservers:
  hosts:
    www[01:50:2].example.com:
    db-[a:c]:
      role: db
`);
  const www = names(inv).filter((n) => n.startsWith('www'));
  assert.equal(www.length, 25);
  assert.equal(www[0], 'www01.example.com');
  assert.equal(www[1], 'www03.example.com');
  assert.equal(www[24], 'www49.example.com');
  assert.deepEqual(names(inv).slice(25), ['db-a', 'db-b', 'db-c']);
  assert.equal(host(inv, 'db-b').vars.role, 'db');
});

test('precedence in YAML: all < parent < child < host, same depth by name, priority first', () => {
  const inv = yaml(`all:
  vars: { level: all, who: all }
  children:
    zeta:
      vars: { level: parent, who: zeta }
      children:
        alpha:
          vars: { level: child }
          hosts:
            pi1: { own: host, level: host-level }
            pi2:
    b_group:
      vars: { same: b }
      hosts: { pi1: , pi2: }
    a_group:
      vars: { same: a, ansible_group_priority: 5 }
      hosts: { pi1: , pi2: }
`);
  assert.equal(host(inv, 'pi1').vars.level, 'host-level');
  assert.equal(host(inv, 'pi2').vars.level, 'child');
  assert.equal(host(inv, 'pi2').vars.who, 'zeta');
  assert.equal(host(inv, 'pi2').vars.same, 'a', 'a_group has the higher priority, so it merges after b_group');
});

test('a host in two groups is one host, and a group written twice is one group', () => {
  const inv = yaml(`garden:
  hosts:
    pi1: { a: 1, b: 1 }
south:
  hosts:
    pi1: { b: 2 }
  children:
    garden:
      vars: { from: garden }
`);
  assert.deepEqual(names(inv), ['pi1']);
  assert.deepEqual(host(inv, 'pi1').groups, ['garden', 'south']);
  assert.deepEqual(host(inv, 'pi1').vars, { from: 'garden', a: 1, b: 2 });
});
