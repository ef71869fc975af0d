import { forwardRef, type ComponentPropsWithoutRef } from 'react';
import type { ConnectionStatus } from '../transport/connection-state.js';
import type { GenerationStatus } from '../hooks/use-generation-status.js';
import type { ChatLabels } from './labels.js';
import { useLabels } from './use-labels.js';
import { cx } from './cx.js';

/** Props of {@link StatusIndicator}: a whole chat, or its `connection` and `generation`. */
export interface StatusIndicatorProps extends Omit<ComponentPropsWithoutRef<'div'>, 'children'> {
  /** A `useCloudSignalChat` result; or pass `connection` / `generation` from the smaller hooks. */
  chat?: { connection: { status: ConnectionStatus }; generation: { status: GenerationStatus } };
  connection?: { status: ConnectionStatus };
  generation?: { status: GenerationStatus };
  labels?: Partial<ChatLabels>;
}

/**
 * One line of state for people, not only for eyes: the connection while it is not up, otherwise
 * the worker's generation state, always as text (the dot is decoration). `role="status"`.
 */
export const StatusIndicator = forwardRef<HTMLDivElement, StatusIndicatorProps>(function StatusIndicator(
  { chat, connection, generation, labels: labelOverrides, className, ...rest },
  ref,
) {
  const labels = useLabels(labelOverrides);
  const connectionStatus = (connection ?? chat?.connection)?.status ?? 'connected';
  const generationStatus = (generation ?? chat?.generation)?.status ?? 'idle';
  const connected = connectionStatus === 'connected';
  const state = connected ? (generationStatus === 'idle' ? 'connected' : generationStatus) : connectionStatus;
  const text = connected
    ? generationStatus === 'idle'
      ? labels.connection.connected
      : `${labels.connection.connected}${labels.statusSeparator}${labels.generation[generationStatus]}`
    : labels.connection[connectionStatus];
  return (
    <div
      ref={ref}
      role="status"
      data-slot="status-indicator"
      data-state={state}
      data-connection={connectionStatus}
      data-generation={generationStatus}
      className={cx('csk-status', className)}
      {...rest}
    >
      <span className="csk-status-dot" aria-hidden="true" />
      <span className="csk-status-text">{text}</span>
    </div>
  );
});
