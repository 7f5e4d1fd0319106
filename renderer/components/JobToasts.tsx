import { Anchor, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect } from 'react';
import type { ConsoleEvent } from '../../core/contract/events';
import { api, subscribe, transport } from '../api';
import { navigate } from '../router';

const DESKTOP_KEY = 'lifeboat-desktop-notifications';

/** Browser mode only: Electron's shell already shows desktop notifications for the same events. */
export function browserDesktopNotifications(): { supported: boolean; enabled: boolean } {
  const supported = transport === 'browser' && typeof Notification !== 'undefined';
  return { supported, enabled: supported && localStorage.getItem(DESKTOP_KEY) === 'on' && Notification.permission === 'granted' };
}

export async function setBrowserDesktopNotifications(on: boolean): Promise<boolean> {
  if (!on) {
    localStorage.removeItem(DESKTOP_KEY);
    return false;
  }
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return false;
  localStorage.setItem(DESKTOP_KEY, 'on');
  return true;
}

function desktop(title: string, body: string): void {
  if (browserDesktopNotifications().enabled) new Notification(title, { body, icon: './lifeboat.svg' });
}

/**
 * A toast when a job ends — failed ones stay until dismissed, with what went wrong — so the user learns about a
 * finished copy or drill on whatever page they are.
 */
export function useJobToasts(): void {
  useEffect(
    () =>
      subscribe((event: ConsoleEvent) => {
        if (event.type === 'alert.raised' && event.alert.severity !== 'info') desktop('Lifeboat: action needed', event.alert.message);
        if (event.type !== 'job.finished') return;
        void api
          .getJob({ id: event.jobId })
          .catch(() => null)
          .then((job) => {
            const title = job?.title ?? 'A job';
            const isDrill = job?.kind === 'drill';
            const open = (
              <Anchor component="button" size="sm" onClick={() => (isDrill ? navigate('drills', event.jobId) : navigate('activity'))}>
                {isDrill ? 'See the drill' : 'Open Activity'}
              </Anchor>
            );
            if (event.status === 'failed') {
              desktop(`Lifeboat: ${title} failed`, event.message ?? job?.error ?? '');
              notifications.show({
                color: 'red',
                title: `${title} failed`,
                autoClose: 20_000,
                message: (
                  <>
                    <Text size="sm">{event.message ?? job?.error ?? 'See its log on the Activity page.'}</Text>
                    {open}
                  </>
                ),
              });
            } else if (event.status === 'succeeded' && isDrill) {
              // A drill job that ends well may still be unverified: only the drill record says it passed.
              void api
                .getDrill({ id: event.jobId })
                .then((drill) => drill.status)
                .catch(() => null)
                .then((status) => {
                  if (status === 'unverified') {
                    desktop(`Lifeboat: ${title} not proven`, 'It started, but nothing proved the guest came up.');
                    notifications.show({
                      color: 'yellow',
                      title: `${title}: started, not proven`,
                      autoClose: 20_000,
                      message: (
                        <>
                          <Text size="sm">It started, but nothing proved the guest came up. It does not count as a pass.</Text>
                          {open}
                        </>
                      ),
                    });
                    return;
                  }
                  if (status === 'passed') desktop(`Lifeboat: ${title} passed`, event.message ?? '');
                  notifications.show({
                    color: status === 'passed' ? 'green' : 'gray',
                    title: `${title} finished`,
                    autoClose: 6000,
                    message: open,
                  });
                });
            } else if (event.status === 'succeeded') {
              notifications.show({ color: 'green', title: `${title} finished`, autoClose: 6000, message: event.message ?? 'Done.' });
            } else {
              notifications.show({ color: 'gray', title: `${title} cancelled`, autoClose: 4000, message: 'Stopped on request.' });
            }
          });
      }),
    [],
  );
}
