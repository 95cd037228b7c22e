/**
 * The Wi-Fi trigger types: the device's on-demand hotspot (a request to raise it, the periodic
 * update of what it advertises, the entitlement check before it goes up) and the operator
 * hotspot's captive portal. None takes options; each is raised by the Wi-Fi source by key.
 */
import * as v from 'valibot';
import type { TriggerDefinition } from '../broker.js';
import type { TriggerData } from '../trigger.js';
import { parseTriggerData } from './parse.js';

export const WIFI_TRIGGERS = [
  'WiFiOnDemandHotspotConnectTrigger',
  'WiFiOnDemandHotspotUpdateMetadataTrigger',
  'TetheringEntitlementCheckTrigger',
  'NetworkOperatorHotspotAuthenticationTrigger',
] as const;
export type WifiTriggerType = (typeof WIFI_TRIGGERS)[number];

export function wifiTriggers(): TriggerDefinition[] {
  return WIFI_TRIGGERS.map((id) => ({
    id,
    parse: (data, ctx) => parseTriggerData(v.strictObject({ type: v.literal(id) }), data, ctx.field) as unknown as TriggerData,
    key: () => id,
  }));
}
