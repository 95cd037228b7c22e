/**
 * What an inventory file says, before any merging: groups with their own hosts, variables and
 * children, hosts with their own variables, each remembering the line it came from. The INI and
 * YAML parsers both fill one of these; resolve.ts turns it into hosts with merged variables.
 */
import type { Where } from './error.js';

/** A value with the line that set it, so a bad `ansible_port` is reported where it was written. */
export interface Located<T> {
  value: T;
  line: number;
}

export type VarMap = Map<string, Located<unknown>>;

export interface SourceGroup {
  name: string;
  /** Line of the first declaration or mention. */
  line: number;
  /**
   * False while the group is only mentioned (as a child, or by `[name:vars]`): an INI file must
   * declare every group with `[name]` or `[name:children]`, or the mention is most likely a typo.
   */
  declared: boolean;
  /** How it was first mentioned, for the error when it is never declared. */
  mention?: { line: number; by: string };
  hosts: string[];
  vars: VarMap;
  children: Located<string>[];
}

export interface SourceHost {
  name: string;
  line: number;
  vars: VarMap;
}

export class InventorySource {
  readonly file: string;
  readonly groups = new Map<string, SourceGroup>();
  /** In the order they first appear: the order hosts are deployed in. */
  readonly hosts = new Map<string, SourceHost>();

  constructor(file: string) {
    this.file = file;
  }

  at(line: number): Where {
    return { file: this.file, line };
  }

  /** The group, declared (a `[name]` section, a YAML group) from now on. */
  declare(name: string, line: number): SourceGroup {
    const group = this.#get(name, line);
    group.declared = true;
    return group;
  }

  /** The group as something refers to it; `by` says what, for the error if it is never declared. */
  mention(name: string, line: number, by: string): SourceGroup {
    const group = this.#get(name, line);
    if (!group.declared && !group.mention) group.mention = { line, by };
    return group;
  }

  /** A host in `group`; a host listed again (in another group, or the same) stays one host. */
  addHost(group: SourceGroup, name: string, line: number): SourceHost {
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, line, vars: new Map() };
      this.hosts.set(name, host);
    }
    if (!group.hosts.includes(name)) group.hosts.push(name);
    return host;
  }

  addChild(parent: SourceGroup, child: string, line: number): void {
    if (!parent.children.some((c) => c.value === child)) parent.children.push({ value: child, line });
  }

  #get(name: string, line: number): SourceGroup {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, line, declared: false, hosts: [], vars: new Map(), children: [] };
      this.groups.set(name, group);
    }
    return group;
  }
}

export function setVar(vars: VarMap, key: string, value: unknown, line: number): void {
  vars.set(key, { value, line });
}
