/**
 * The Bluetooth LE trigger types. Each is armed into the part of the BLE source that produces
 * its events: publishers into the advertiser, GATT services into the GATT server, watchers and
 * notification links onto the central's scan. A role the device has no adapter for defines no
 * triggers, so registering one says which role is missing.
 */
import type { ArmedRegistration, TriggerDefinition } from '../broker.js';
import type { Unsubscribe } from '../emitter.js';
import type { TriggerData } from '../trigger.js';
import { parseGattProvider, parseNotification, parsePublisher, parseWatcher, type NotificationData } from './ble-data.js';

export interface BleArming {
  publisher(r: ArmedRegistration): Unsubscribe;
  gattService(r: ArmedRegistration): Unsubscribe;
  watcher(r: ArmedRegistration): Unsubscribe;
  notification(r: ArmedRegistration): Unsubscribe;
}

export function bleTriggers(arming: BleArming, roles: { central: boolean; peripheral: boolean }): TriggerDefinition[] {
  const peripheral: TriggerDefinition[] = [
    { id: 'BluetoothLEAdvertisementPublisherTrigger', parse: (data, ctx) => parsePublisher(data, ctx.field) as unknown as TriggerData, arm: (r) => arming.publisher(r) },
    { id: 'GattServiceProviderTrigger', parse: (data, ctx) => parseGattProvider(data, ctx.field) as unknown as TriggerData, arm: (r) => arming.gattService(r) },
  ];
  const central: TriggerDefinition[] = [
    { id: 'BluetoothLEAdvertisementWatcherTrigger', parse: (data, ctx) => parseWatcher(data, ctx.field) as unknown as TriggerData, arm: (r) => arming.watcher(r) },
    {
      id: 'GattCharacteristicNotificationTrigger',
      parse: (data, ctx) => parseNotification(data, ctx.field) as unknown as TriggerData,
      arm: (r) => arming.notification(r),
      // KeepLatest: a value arriving while the last still waits replaces it.
      coalesce: (t) => (t as unknown as NotificationData).eventTriggeringMode === 'KeepLatest',
    },
  ];
  return [...(roles.peripheral ? peripheral : []), ...(roles.central ? central : [])];
}
