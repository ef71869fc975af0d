import { forwardRef, useEffect, useRef, useState, type ComponentPropsWithoutRef } from 'react';
import type { ConnectionSnapshot } from '../transport/connection-state.js';
import type { RecoveryState } from '../hooks/use-recovery-state.js';
import { useCountdown } from '../hooks/use-countdown.js';
import type { ChatLabels } from './labels.js';
import { useLabels } from './use-labels.js';
import { cx } from './cx.js';

type BannerConnection = Pick<ConnectionSnapshot, 'status' | 'attempt' | 'nextRetryAt' | 'lastError' | 'connectedAt'> & {
  retry: () => void;
};

/** How long after a reconnect a finished recovery still counts as part of it. */
const RECOVERY_WINDOW_MS = 60_000;

/** What the banner shows, also its `data-state`. */
export type ReconnectBannerState =
  | 'hidden'
  | 'reconnecting'
  | 'offline'
  | 'unreachable'
  | 'auth-failed'
  | 'failed'
  | 'resuming'
  | 'recovered';

/** Props of {@link ReconnectBanner}: a whole chat, or its `connection` and `recovery`. */
export interface ReconnectBannerProps extends Omit<ComponentPropsWithoutRef<'div'>, 'children'> {
  /** A `useCloudSignalChat` result; or pass `connection` (+ `recovery`) from the smaller hooks. */
  chat?: { connection: BannerConnection; recovery: RecoveryState };
  connection?: BannerConnection;
  recovery?: RecoveryState;
  labels?: Partial<ChatLabels>;
  /** How long "recovered N tokens" stays up after a resume, in ms. Default 8 000. */
  recoveredDuration?: number;
}

/**
 * Appears when the connection drops. Reconnecting, offline and recovered are polite
 * (`role="status"`); refused credentials and an unreachable broker are `role="alert"`.
 * The countdown sits outside the live region so it is readable without being announced every second.
 */
export const ReconnectBanner = forwardRef<HTMLDivElement, ReconnectBannerProps>(function ReconnectBanner(
  { chat, connection: connectionProp, recovery: recoveryProp, labels: labelOverrides, recoveredDuration = 8000, className, ...rest },
  ref,
) {
  const labels = useLabels(labelOverrides);
  const connection = connectionProp ?? chat?.connection;
  const recovery = recoveryProp ?? chat?.recovery;
  if (!connection) throw new Error('ReconnectBanner needs `chat` or `connection`.');
  const { status, attempt, nextRetryAt, lastError, retry, connectedAt } = connection;
  const seconds = useCountdown(status === 'connected' ? null : nextRetryAt);

  // A recovery is only news to the user if they saw the connection go: remember when it did.
  const [droppedAt, setDroppedAt] = useState<number | null>(null);
  const wasConnected = useRef(status === 'connected');
  useEffect(() => {
    if (status === 'connected') wasConnected.current = true;
    else if (wasConnected.current) {
      wasConnected.current = false;
      setDroppedAt(Date.now());
    }
  }, [status]);

  const lastRecoveredAt = recovery?.lastRecoveredAt ?? null;
  const [recoveredShownFor, setRecoveredShownFor] = useState<number | null>(null);
  useEffect(() => {
    if (lastRecoveredAt === null || droppedAt === null || lastRecoveredAt < droppedAt) return;
    // Only a recovery that follows the reconnect is "reconnected, recovered N"; a gap repair much later is not.
    if (connectedAt !== null && lastRecoveredAt - connectedAt > RECOVERY_WINDOW_MS) return;
    setRecoveredShownFor(lastRecoveredAt);
    const timer = setTimeout(() => setRecoveredShownFor(null), recoveredDuration);
    return () => clearTimeout(timer);
  }, [lastRecoveredAt, droppedAt, recoveredDuration, connectedAt]);

  let state: ReconnectBannerState = 'hidden';
  if (status === 'error') state = lastError?.kind === 'auth' ? 'auth-failed' : 'failed';
  else if (status === 'offline') state = 'offline';
  else if (status === 'reconnecting' || (status === 'connecting' && attempt > 1)) {
    state = lastError?.kind === 'unreachable' ? 'unreachable' : lastError?.kind === 'auth' ? 'auth-failed' : 'reconnecting';
  } else if (status === 'connected' && droppedAt !== null) {
    if (recovery?.resuming) state = 'resuming';
    else if (recoveredShownFor !== null && recoveredShownFor === lastRecoveredAt && (recovery?.recoveredChunks ?? 0) > 0) state = 'recovered';
  }

  const polite =
    state === 'reconnecting' ? labels.bannerReconnecting
    : state === 'offline' ? labels.bannerOffline
    : state === 'resuming' ? labels.bannerResuming
    : state === 'recovered' ? labels.bannerRecovered(recovery?.recoveredChunks ?? 0)
    : '';
  const alert =
    state === 'auth-failed' ? labels.bannerAuthFailed
    : state === 'unreachable' ? labels.bannerUnreachable
    : state === 'failed' ? (lastError?.kind === 'unreachable' ? labels.bannerUnreachable : labels.bannerProtocol)
    : '';
  const retrying = state === 'reconnecting' || state === 'unreachable' || state === 'offline';
  const showRetry = retrying || state === 'auth-failed' || state === 'failed';

  return (
    <div
      ref={ref}
      data-slot="reconnect-banner"
      data-state={state}
      className={cx('csk-banner', className)}
      {...rest}
    >
      {/* Always mounted, so screen readers already watch it when text appears. */}
      <div role="status" className="csk-banner-message">
        {polite}
      </div>
      {alert && (
        <div role="alert" className="csk-banner-message">
          {alert}
        </div>
      )}
      {retrying && (attempt > 0 || seconds !== null) && (
        <p className="csk-banner-details" data-slot="reconnect-banner-details">
          {attempt > 0 && labels.bannerAttempt(attempt)}
          {attempt > 0 && seconds !== null && labels.statusSeparator}
          {seconds !== null && <span data-slot="reconnect-banner-countdown">{labels.bannerCountdown(seconds)}</span>}
        </p>
      )}
      {showRetry && (
        <button type="button" className="csk-button" data-slot="reconnect-banner-retry" onClick={retry}>
          {labels.bannerRetry}
        </button>
      )}
      {state === 'recovered' && (
        <button type="button" className="csk-button csk-button-ghost" data-slot="reconnect-banner-dismiss" onClick={() => setRecoveredShownFor(null)}>
          {labels.dismiss}
        </button>
      )}
    </div>
  );
});
