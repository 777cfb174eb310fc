/**
 * The call in progress, for the React app: which call controller is current, SDK
 * call events routed to it, its state for the call screen, and when the screen
 * goes away (a few seconds after an ordinary ending; a failure stays until the
 * person closes it, so they can read why).
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { ClientEvent, ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';
import { notifyInBackground } from '../session/notify.ts';
import { browserCallDeps } from './browser-call.ts';
import { CallController, type CallKind, type CallState } from './call-controller.ts';

/** How long an ended call's screen stays, saying how it ended. */
const ENDED_SCREEN_MS = 2500;

export interface CallHandle {
  readonly state: CallState | undefined;
  readonly streams: { readonly local: MediaStream; readonly remote: MediaStream } | undefined;
  start(peer: string, kind: CallKind): Promise<void>;
  accept(): void;
  hangUp(): void;
  setMuted(muted: boolean): void;
  setCameraOff(off: boolean): void;
  /** Closes the screen of a call that ended. */
  dismiss(): void;
}

const NO_SUBSCRIPTION = () => () => undefined;

export function useCall(
  client: ParleyClient,
  relayOnly: boolean,
  hooks: { onChange: () => void; onError: (message: string) => void },
): CallHandle {
  const relayRef = useRef(relayOnly);
  relayRef.current = relayOnly;
  const hooksRef = useRef(hooks);
  hooksRef.current = hooks;
  const deps = useMemo(() => browserCallDeps(client, () => relayRef.current), [client]);
  const [call, setCall] = useState<CallController>();
  const current = useRef<CallController>(undefined);

  const show = useCallback((next: CallController) => {
    const previous = current.current;
    if (previous && previous.state.phase !== 'ended') void previous.hangUp();
    current.current = next;
    setCall(next);
    let dismissTimer: ReturnType<typeof setTimeout> | undefined;
    const off = next.subscribe(() => {
      const s = next.state;
      if (s.phase !== 'ended' || dismissTimer) return;
      off();
      hooksRef.current.onChange();
      // Again once the SDK stored the ending: the conversation's call line ("Voice call, 2:05") is its system message.
      void next.settled.then(() => hooksRef.current.onChange());
      if (s.end?.kind === 'failed') return;
      dismissTimer = setTimeout(() => {
        if (current.current !== next) return;
        current.current = undefined;
        setCall(undefined);
      }, ENDED_SCREEN_MS);
    });
  }, []);

  useEffect(
    () =>
      client.on((e: ClientEvent) => {
        if (e.type !== 'call') return;
        if (e.event === 'incoming') {
          show(CallController.incoming(deps, e));
          notifyInBackground(`Parley: ${e.peer}`, `Incoming ${e.media === 'video' ? 'video' : 'voice'} call`, { requireInteraction: true });
          return;
        }
        if (current.current?.callId === e.callId) current.current.handle(e);
      }),
    [client, deps, show],
  );

  const subscribe = useMemo(() => (call ? (l: () => void) => call.subscribe(l) : NO_SUBSCRIPTION), [call]);
  const state = useSyncExternalStore(subscribe, () => call?.state);

  return {
    state,
    streams: state?.hasMedia ? call?.streams : undefined,
    start: async (peer, kind) => {
      try {
        show(await CallController.place(deps, peer, kind));
      } catch (err) {
        hooksRef.current.onError(explain(err));
      }
    },
    accept: () => void call?.accept(),
    hangUp: () => void call?.hangUp(),
    setMuted: (muted) => call?.setMuted(muted),
    setCameraOff: (off) => call?.setCameraOff(off),
    dismiss: () => {
      if (call && call.state.phase === 'ended' && current.current === call) {
        current.current = undefined;
        setCall(undefined);
      }
    },
  };
}
