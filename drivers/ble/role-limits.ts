/**
 * What to expect when the central (noble) and the peripheral (bleno) share one adapter, as read
 * in the libraries' code and seen in the lab (two btvirt controllers). Empty when they do not
 * share one (or a role is not configured).
 */
export function bleRoleLimits(central: number | undefined, peripheral: number | undefined): string[] {
  if (central === undefined || peripheral === undefined || central !== peripheral) return [];
  const a = `hci${central}`;
  return [
    `${a} serves both roles: noble (central) and bleno (peripheral) each open a raw HCI socket on it and see each other's commands and events; only one bleno peripheral can exist per process.`,
    `Scanning while advertising works on ${a} if the controller allows the combination (the lab's controller does; most Bluetooth 4.1+ controllers do).`,
    'While a central is connected to the peripheral, the controller stops advertising (connectable advertising ends when a connection is made) and bleno restarts it when that central disconnects; bleno serves one central at a time.',
    "NOBLE_MULTI_ROLE is not set, and not needed: this noble runs its ATT client only on links where it is the central and bleno serves only links where it is the peripheral, so noble never answers requests meant for bleno (the lab serves GATT from bleno with a noble central open on the same adapter); with the flag, noble would leave the requests a peer sends on noble's own links (an MTU exchange included) unanswered until the peer's 30 s ATT timeout.",
    `bleno tracks a single connection handle whatever the role: a central connection made by noble on ${a} while a central is connected to bleno makes bleno miss its own client's disconnection (no disconnect event, advertising not restarted) and take the end of noble's link for its client leaving. Do not connect out on ${a} while serving a central, or give the central role its own adapter.`,
    `noble's connect is made by the kernel (the hci-socket addon replaces LE Create Connection with a blocking L2CAP connect): it takes over and then stops the adapter's scanning (the central resumes its scan afterwards) and blocks the whole Node.js event loop, the peripheral's GATT answers included, until the link is up or the attempt fails (40 s when the device is not seen).`,
  ];
}

