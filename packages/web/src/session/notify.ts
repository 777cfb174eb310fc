/**
 * System notifications, only while the tab is in the background and only if the
 * person allowed them. They never carry message text.
 */

export function notifyInBackground(title: string, body: string, options: { requireInteraction?: boolean } = {}): void {
  if (!document.hidden || !('Notification' in window) || Notification.permission !== 'granted') return;
  new Notification(title, { body, ...options });
}

/** Asks once, when the person first opens a conversation (a browser needs a user gesture). */
export function askForNotifications(): void {
  if ('Notification' in window && Notification.permission === 'default') void Notification.requestPermission();
}
