import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { parseInventory, type Inventory, type InventoryHost } from '../deploy/inventory/inventory.js';

const ini = (text: string): Inventory => parseInventory(text, 'hosts.ini');
const host = (inv: Inventory, name: string): InventoryHost => {
  const found = inv.hosts.find((h) => h.name === name);
  assert.ok(found, `host ${name} in ${inv.hosts.map((h) => h.name).join(', ')}`);
  return found;
};
const names = (inv: Inventory) => inv.hosts.map((h) => h.name);

test('the basic example: hosts before any section are ungrouped, sections are groups, file order kept', () => {
  const inv = ini(`mail.example.com

[webservers]
foo.example.com
bar.example.com

[dbservers]
one.example.com
two.example.com
three.example.com
`);
  assert.deepEqual(names(inv), ['mail.example.com', 'foo.example.com', 'bar.example.com', 'one.example.com', 'two.example.com', 'three.example.com']);
  assert.deepEqual(host(inv, 'mail.example.com').groups, []);
  assert.deepEqual(host(inv, 'bar.example.com').groups, ['webservers']);
  assert.equal(host(inv, 'two.example.com').host, 'two.example.com');
  assert.deepEqual(inv.groups, ['all', 'dbservers', 'ungrouped', 'webservers']);
});

test('host variables on the host line are read as Python literals, as Ansible does', () => {
  const inv = ini(`[atlanta]
host1 http_port=80 maxRequestsPerChild=808
host2 http_port=303 maxRequestsPerChild=909 msg="hello world" single='a b' esc=a\\ b
host3 v=1.10 keep="'1.10'" flag=True off=False nothing=None ip=10.0.0.5 zero=01 neg=-4 list="[1, 'a']" map="{'k': 2}"
host4 mysecret="'03#pa33w0rd'" after=1 # a comment, not a variable
`);
  assert.deepEqual(host(inv, 'host1').vars, { http_port: 80, maxRequestsPerChild: 808 });
  assert.deepEqual(host(inv, 'host2').vars, { http_port: 303, maxRequestsPerChild: 909, msg: 'hello world', single: 'a b', esc: 'a b' });
  assert.deepEqual(host(inv, 'host3').vars, {
    v: 1.1,
    keep: '1.10',
    flag: true,
    off: false,
    nothing: null,
    ip: '10.0.0.5',
    zero: '01',
    neg: -4,
    list: [1, 'a'],
    map: { k: 2 },
  });
  assert.deepEqual(host(inv, 'host4').vars, { mysecret: '03#pa33w0rd', after: 1 });
});

test('[group:vars] takes one key=value a line, the rest of the line the value', () => {
  const inv = ini(`[atlanta]
host1
host2

[atlanta:vars]
ntp_server=ntp.atlanta.example.com
proxy = proxy.atlanta.example.com
timeout=30
shout=FALSE
motd=welcome to the garden   # said at login
quoted="a # b"
`);
  assert.deepEqual(host(inv, 'host2').vars, {
    ntp_server: 'ntp.atlanta.example.com',
    proxy: 'proxy.atlanta.example.com',
    timeout: 30,
    shout: 'FALSE',
    motd: 'welcome to the garden',
    quoted: 'a # b',
  });
});

test('connection settings: ansible_host, ansible_port, the host:port shorthand, ansible_user, the key file with ~', () => {
  const inv = ini(`jumper ansible_port=5555 ansible_host=192.0.2.50
badwolf.example.com:5309
[targets]
other1.example.com ansible_user=myuser ansible_ssh_private_key_file=~/.ssh/pi_ed25519
other2.example.com:2200 ansible_port=2201 ansible_ssh_private_key_file=/etc/keys/pi
[targets:vars]
ansible_user=pi
`);
  const jumper = host(inv, 'jumper');
  assert.equal(jumper.host, '192.0.2.50');
  assert.equal(jumper.port, 5555);
  assert.equal(jumper.user, undefined);
  assert.equal(host(inv, 'badwolf.example.com').port, 5309);
  assert.equal(host(inv, 'badwolf.example.com').host, 'badwolf.example.com');
  const other1 = host(inv, 'other1.example.com');
  assert.equal(other1.user, 'myuser', 'the host line wins over [targets:vars]');
  assert.equal(other1.identity, `${homedir()}/.ssh/pi_ed25519`);
  assert.equal(other1.port, undefined);
  const other2 = host(inv, 'other2.example.com');
  assert.equal(other2.port, 2201, 'ansible_port on the line wins over the shorthand, as the line sets it later');
  assert.equal(other2.user, 'pi');
  assert.equal(other2.identity, '/etc/keys/pi');
});

test('groups of groups: children join their parents, and the docs example resolves', () => {
  const inv = ini(`[atlanta]
host1
host2

[raleigh]
host2
host3

[southeast:children]
atlanta
raleigh

[southeast:vars]
some_server=foo.southeast.example.com
halon_system_timeout=30
self_destruct_countdown=60
escape_pods=2

[usa:children]
southeast
northeast
southwest
northwest

[northeast]
[southwest]
[northwest]
`);
  assert.deepEqual(names(inv), ['host1', 'host2', 'host3']);
  assert.deepEqual(host(inv, 'host2').groups, ['atlanta', 'raleigh', 'southeast', 'usa']);
  assert.deepEqual(host(inv, 'host3').groups, ['raleigh', 'southeast', 'usa']);
  assert.equal(host(inv, 'host1').vars.escape_pods, 2);
  assert.ok(inv.groups.includes('northwest'));
});

test('a host listed in two groups is one host, in both, with the variables of both lines', () => {
  const inv = ini(`[g1]
host4 a=1 b=1
other
[g2]
host4 b=2 c=2
`);
  assert.deepEqual(names(inv), ['host4', 'other']);
  assert.deepEqual(host(inv, 'host4').groups, ['g1', 'g2']);
  assert.deepEqual(host(inv, 'host4').vars, { a: 1, b: 2, c: 2 });
});

test('precedence: all, then parents, then children, then the host; same depth by name; ansible_group_priority first', () => {
  const inv = ini(`[zeta:children]
alpha
[alpha]
pi1 from_host=host
pi2
[b_group]
pi1
pi2
[a_group]
pi1
pi2
[all:vars]
level=all
from_host=all
who=all
[zeta:vars]
level=parent
who=zeta
[alpha:vars]
level=child
[a_group:vars]
same=a
[b_group:vars]
same=b
`);
  const pi1 = host(inv, 'pi1');
  assert.equal(pi1.vars.level, 'child', 'alpha is a child of zeta: it wins though zeta sorts later');
  assert.equal(pi1.vars.who, 'zeta', 'a parent wins over all');
  assert.equal(pi1.vars.from_host, 'host', 'the host wins over every group');
  assert.equal(pi1.vars.same, 'b', 'same depth: merged by name, the later name wins');

  const prioritised = ini(`[a_group]
pi1
[b_group]
pi1
[a_group:vars]
testvar=a
ansible_group_priority=10
[b_group:vars]
testvar=b
`);
  assert.equal(host(prioritised, 'pi1').vars.testvar, 'a', 'a higher ansible_group_priority merges later');
});

test('depth is the longest way down from all: a group under a parent and at the top still merges after the parent', () => {
  const inv = ini(`[mid:children]
leaf
[top:children]
mid
[leaf]
pi1
[mid:vars]
x=mid
[top:vars]
x=top
[leaf:vars]
y=leaf
[aaa]
pi1
[aaa:vars]
y=aaa
x=aaa
`);
  // depths: top 1, aaa 1, mid 2, leaf 3 → order all, aaa, top, mid, leaf
  assert.deepEqual(host(inv, 'pi1').vars, { x: 'mid', y: 'leaf' });
  assert.deepEqual(host(inv, 'pi1').groups, ['aaa', 'leaf', 'mid', 'top']);
});

test('vigil_* variables come through with the rest', () => {
  const inv = ini(`[garden]
garden-1 vigil_command="node /opt/vigil/dist/bin/vigil.js"
[garden:vars]
vigil_state=/var/lib/vigil
`);
  assert.deepEqual(host(inv, 'garden-1').vars, { vigil_state: '/var/lib/vigil', vigil_command: 'node /opt/vigil/dist/bin/vigil.js' });
});

test('ranges: zero padding, no padding, letters, a stride, several in one name, a port after them', () => {
  const inv = ini(`[web]
www[01:50].example.com
[db]
db-[a:f].example.com
[odd]
pi[1:10:2]
[pad3]
w[01:10:3]
[plain]
n[8:11]
[grid]
r[1:2]c[a:b]
[ported]
edge[1:2]:2222
[letters]
x[y:B]
`);
  const group = (g: string) => inv.hosts.filter((h) => h.groups.includes(g)).map((h) => h.name);
  const web = group('web');
  assert.equal(web.length, 50);
  assert.equal(web[0], 'www01.example.com');
  assert.equal(web[8], 'www09.example.com');
  assert.equal(web[49], 'www50.example.com');
  assert.deepEqual(group('db'), ['a', 'b', 'c', 'd', 'e', 'f'].map((c) => `db-${c}.example.com`));
  assert.deepEqual(group('odd'), ['pi1', 'pi3', 'pi5', 'pi7', 'pi9']);
  assert.deepEqual(group('pad3'), ['w01', 'w04', 'w07', 'w10']);
  assert.deepEqual(group('plain'), ['n8', 'n9', 'n10', 'n11']);
  assert.deepEqual(group('grid'), ['r1ca', 'r1cb', 'r2ca', 'r2cb']);
  assert.deepEqual(group('ported'), ['edge1', 'edge2']);
  assert.deepEqual(inv.hosts.filter((h) => h.groups.includes('ported')).map((h) => h.port), [2222, 2222]);
  assert.deepEqual(group('letters'), ['xy', 'xz', 'xA', 'xB'], 'letters run a–z then A–Z, as Ansible');
});

test('comments (# and ;), blank lines, indentation, CRLF line ends and IPv6 addresses', () => {
  const inv = ini(
    [
      '\uFEFF# a comment after a byte order mark',
      '; another',
      '',
      '   [garden]   # trailing comment on a header',
      '  garden-1   ',
      '',
      '[v6]',
      '2001:db8::7',
      '[2001:db8::8]:2222',
      '[garden:vars]',
      '; a comment in vars',
      'k=v',
    ].join('\r\n'),
  );
  assert.deepEqual(names(inv), ['garden-1', '2001:db8::7', '2001:db8::8']);
  assert.deepEqual(host(inv, 'garden-1').vars, { k: 'v' });
  assert.equal(host(inv, '2001:db8::7').port, undefined);
  assert.equal(host(inv, '2001:db8::8').port, 2222);
});

test('ungrouped hosts are only those in no other group; [all:vars] reach everyone', () => {
  const inv = ini(`early
later
[garden]
later
[ungrouped:vars]
lonely=yes
[all:vars]
everyone=1
`);
  assert.deepEqual(host(inv, 'early').vars, { everyone: 1, lonely: 'yes' });
  assert.deepEqual(host(inv, 'later').vars, { everyone: 1 }, 'listed before any section, but in garden: not ungrouped');
  assert.deepEqual(host(inv, 'later').groups, ['garden']);
});
